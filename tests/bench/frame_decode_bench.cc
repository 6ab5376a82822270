// resq-server's JPEG frame decode (TurboJPEG straight to BGR) against OpenCV's cv::imdecode on
// the same bytes: a 256x256 frame of vtest.avi encoded as resq-loadgen encodes it; and what a
// frame that skipping repeats costs instead: its header checked, nothing decoded (JPEG, PNG).
#include <benchmark/benchmark.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "server/frame_decoder.h"

namespace {

std::vector<uchar> vtest_frame(const std::string& ext) {
  cv::VideoCapture video(std::string(RESQ_ASSET_DIR) + "/vtest.avi");
  cv::Mat frame, sized;
  if (!video.read(frame)) throw std::runtime_error("frame_decode_bench: vtest.avi unreadable");
  cv::resize(frame, sized, {256, 256});
  std::vector<uchar> bytes;
  cv::imencode(ext, sized, bytes);
  return bytes;
}

void BM_DecodeJpegTurboJpeg(benchmark::State& state) {
  const std::vector<uchar> bytes = vtest_frame(".jpg");
  resq::v1::Frame frame;
  frame.set_jpeg(bytes.data(), bytes.size());
  for (auto _ : state) benchmark::DoNotOptimize(resq::server::decode_frame(frame).data);
}
BENCHMARK(BM_DecodeJpegTurboJpeg)->Unit(benchmark::kMicrosecond);

void BM_DecodeJpegOpenCv(benchmark::State& state) {
  const std::vector<uchar> bytes = vtest_frame(".jpg");
  for (auto _ : state) benchmark::DoNotOptimize(cv::imdecode(bytes, cv::IMREAD_COLOR).data);
}
BENCHMARK(BM_DecodeJpegOpenCv)->Unit(benchmark::kMicrosecond);

void BM_CheckJpegHeader(benchmark::State& state) {
  const std::vector<uchar> bytes = vtest_frame(".jpg");
  resq::v1::Frame frame;
  frame.set_jpeg(bytes.data(), bytes.size());
  for (auto _ : state) benchmark::DoNotOptimize(resq::server::frame_decoder(frame));
}
BENCHMARK(BM_CheckJpegHeader)->Unit(benchmark::kMicrosecond);

void BM_DecodePng(benchmark::State& state) {
  const std::vector<uchar> bytes = vtest_frame(".png");
  resq::v1::Frame frame;
  frame.set_png(bytes.data(), bytes.size());
  for (auto _ : state) benchmark::DoNotOptimize(resq::server::decode_frame(frame).data);
}
BENCHMARK(BM_DecodePng)->Unit(benchmark::kMicrosecond);

void BM_CheckPngHeader(benchmark::State& state) {
  const std::vector<uchar> bytes = vtest_frame(".png");
  resq::v1::Frame frame;
  frame.set_png(bytes.data(), bytes.size());
  for (auto _ : state) benchmark::DoNotOptimize(resq::server::frame_decoder(frame));
}
BENCHMARK(BM_CheckPngHeader)->Unit(benchmark::kMicrosecond);

}  // namespace
