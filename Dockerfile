# resq on Debian bookworm: builds the engine and CLI with the same scripts as a developer machine.
#   docker build -t resq .
#   docker run --rm -v "$PWD/out:/out" resq run --model /assets/selfie_segmentation.tflite \
#       --video /assets/movie.avi --out /out/annotated.mp4 --json /out/summary.json
FROM debian:bookworm

ENV RESQ_ASSET_DIR=/assets
WORKDIR /src
COPY scripts/deps.sh scripts/fetch_assets.sh scripts/
RUN bash scripts/deps.sh && bash scripts/fetch_assets.sh && rm -rf /var/lib/apt/lists/*
COPY . .
# Portable build: no -march=native inside an image that may run on another CPU.
RUN cmake --preset release -DRESQ_NATIVE=OFF -DRESQ_BUILD_TESTS=OFF -DRESQ_BUILD_BENCHMARKS=OFF \
 && cmake --build --preset release --target resq \
 && install -m 755 build/release/engine/cli/resq /usr/local/bin/resq

ENTRYPOINT ["resq"]
CMD ["--help"]
