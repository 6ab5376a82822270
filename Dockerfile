# resq-server on Debian bookworm: a build stage with the developer scripts, and a slim runtime
# stage with only the shared libraries the binaries load (deploy/check-runtime-deps.sh checks
# the list below against `ldd` of a build), the GStreamer plugins of the demo stream, and the
# assets. deploy/docker-compose.yml runs it next to Prometheus and Grafana.
#   docker build -t resq-server .
#   docker run --rm -p 50051:50051 -p 9464:9464 resq-server
#   docker run --rm -v "$PWD/out:/out" --entrypoint resq resq-server run --video /assets/movie.avi --out /out/a.mp4
FROM debian:bookworm AS build
WORKDIR /src
# Dependencies and assets first, so that code changes reuse these layers. fetch_assets.sh also
# installs the default calibration from deploy/calibration next to the model.
COPY scripts/deps.sh scripts/fetch_assets.sh scripts/
COPY deploy/calibration deploy/calibration
RUN bash scripts/deps.sh && RESQ_ASSET_DIR=/assets bash scripts/fetch_assets.sh
COPY . .
# Portable build: no -march=native inside an image that may run on another CPU.
RUN cmake --preset release -DRESQ_NATIVE=OFF -DRESQ_BUILD_TESTS=OFF -DRESQ_BUILD_BENCHMARKS=OFF \
      -DRESQ_BUILD_SERVER=ON -DRESQ_BUILD_PIPELINE=ON \
 && cmake --build --preset release --target resq resq-server resq-health-probe gstresq

FROM debian:bookworm-slim AS runtime
# The packages of the libraries the binaries link (apt adds their dependencies), and the
# GStreamer plugins the demo pipeline uses (base: decodebin, videoconvert, videorate; good:
# avidemux, jpegdec for the MJPEG clip; libav: avdec_* for other codecs).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libopencv-core406 libopencv-imgproc406 libopencv-imgcodecs406 libopencv-videoio406 \
      libonnx1 libprotobuf32 libgrpc++1.51 libgrpc29 \
      libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 libturbojpeg0 libpng16-16 \
      libgstreamer1.0-0 libgstreamer-plugins-base1.0-0 \
      gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-libav \
 && rm -rf /var/lib/apt/lists/*
# A home for GStreamer's plugin registry cache.
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin resq
COPY --from=build /assets /assets
COPY --from=build /src/build/release/engine/cli/resq /src/build/release/server/resq-server \
     /src/build/release/server/resq-health-probe /usr/local/bin/
COPY --from=build /src/build/release/pipeline/libgstresq.so /usr/local/lib/gstreamer-1.0/
ENV RESQ_ASSET_DIR=/assets GST_PLUGIN_PATH=/usr/local/lib/gstreamer-1.0
USER resq
EXPOSE 50051 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["resq-health-probe", "--address", "127.0.0.1:50051"]
ENTRYPOINT ["resq-server"]
CMD ["--listen", "0.0.0.0:50051", "--metrics-listen", "0.0.0.0:9464"]
