#include "engine/cli/clip_reader.h"

#include "engine/error.h"

namespace resq::cli {

void skip_frames(cv::VideoCapture& cap, const std::string& video, int64_t start) {
  for (int64_t i = 0; i < start; ++i)
    if (!cap.grab())
      throw ModelError(video + ": has only " + std::to_string(i) + " frames, the start frame is " +
                       std::to_string(start));
}

Clip read_clip(const std::string& video, const ImageInput& image, int64_t start, int64_t count,
               const std::string& purpose, bool keep_images) {
  cv::VideoCapture cap(video);
  if (!cap.isOpened()) throw ModelError(video + ": cannot open video");
  skip_frames(cap, video, start);
  Clip clip;
  cv::Mat bgr;
  while ((count <= 0 || static_cast<int64_t>(clip.inputs.size()) < count) && cap.read(bgr)) {
    clip.inputs.emplace_back(1);
    frame_to_tensor(bgr, image, clip.inputs.back()[0]);
    if (keep_images) clip.images.push_back(bgr.clone());
  }
  const auto got = static_cast<int64_t>(clip.inputs.size());
  if (got == 0 || (count > 0 && got < count))
    throw ModelError(video + ": decoded " + std::to_string(got) + " frames from frame " +
                     std::to_string(start) + ", " + purpose + " needs " +
                     std::to_string(count > 0 ? count : 1));
  return clip;
}

}  // namespace resq::cli
