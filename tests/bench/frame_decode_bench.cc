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

// That frame as resq-server receives it: JPEG or PNG bytes in a resq.v1.Frame.
resq::v1::Frame vtest_request(const std::string& ext) {
  const std::vector<uchar> bytes = vtest_frame(ext);
  resq::v1::Frame frame;
  if (ext == ".png")
    frame.set_png(bytes.data(), bytes.size());
  else
    frame.set_jpeg(bytes.data(), bytes.size());
  return frame;
}

// The frame decoded now (a frame the network runs) or only checked (one skipping repeats).
void BM_Decode(benchmark::State& state, const std::string& ext) {
  const resq::v1::Frame frame = vtest_request(ext);
  for (auto _ : state) benchmark::DoNotOptimize(resq::server::decode_frame(frame).data);
}
void BM_Check(benchmark::State& state, const std::string& ext) {
  const resq::v1::Frame frame = vtest_request(ext);
  for (auto _ : state) benchmark::DoNotOptimize(resq::server::frame_decoder(frame));
}
BENCHMARK_CAPTURE(BM_Decode, JpegTurboJpeg, std::string(".jpg"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Check, JpegHeader, std::string(".jpg"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Decode, Png, std::string(".png"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Check, PngHeader, std::string(".png"))->Unit(benchmark::kMicrosecond);

void BM_DecodeJpegOpenCv(benchmark::State& state) {
  const std::vector<uchar> bytes = vtest_frame(".jpg");
  for (auto _ : state) benchmark::DoNotOptimize(cv::imdecode(bytes, cv::IMREAD_COLOR).data);
}
BENCHMARK(BM_DecodeJpegOpenCv)->Unit(benchmark::kMicrosecond);

}  // namespace
