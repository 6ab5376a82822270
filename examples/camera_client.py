#!/usr/bin/python3
"""Streams a camera or a video file to resq-server and prints what each frame cost under ResQ.

Run it with Debian's /usr/bin/python3, which sees python3-grpcio, python3-protobuf and
python3-opencv (scripts/deps.sh installs them). The gRPC stubs are generated from proto/ at
run time with protoc and grpc_python_plugin (Debian protobuf-compiler-grpc) into a cache
directory keyed by the protos' contents, so they always match the checked-out protos.

Exit codes: 0 ok, 1 server or RPC error (unreachable, call failed, frames rejected),
2 usage or input error (bad flag, source cannot be opened), 130 interrupted (Ctrl-C).
"""

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

EXIT_OK, EXIT_SERVER, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
CONFIG_FIELDS = {"scheme": str, "bits": str, "keyframe_interval": int, "tau": float}
DEFAULT_PROTO_DIR = Path(__file__).resolve().parent.parent / "proto"


class ClientError(Exception):
    """An expected failure: reported as one line on stderr with its exit code, no traceback."""

    def __init__(self, message, code):
        super().__init__(message)
        self.code = code


def usage_error(message):
    return ClientError(message, EXIT_USAGE)


def server_error(message):
    return ClientError(message, EXIT_SERVER)


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Stream a camera or video file to resq-server (resq.v1.StreamService.Process) "
        "and print each frame's keyframe flag, bit operations and latency.",
        epilog="Exit codes: 0 ok, 1 server/RPC error, 2 usage/input error, 130 interrupted.")
    p.add_argument("--server", default="127.0.0.1:50051", help="resq-server gRPC address HOST:PORT "
                   "(default %(default)s)")
    p.add_argument("--source", default="/dev/video0",
                   help="camera device (/dev/videoN or its number) or video file (default %(default)s)")
    p.add_argument("--stream-id", help="stream id on the server (default: source name and pid)")
    p.add_argument("--frames", type=int, default=0, help="frames to send; 0: until the source ends")
    p.add_argument("--loop", action="store_true", help="restart a video file at its end")
    p.add_argument("--fps", type=float, help="send rate; 0: as fast as possible (default: the "
                   "file's frame rate; cameras are paced by the camera)")
    p.add_argument("--max-in-flight", type=int, default=0,
                   help="frames sent but not yet answered; 0: unlimited, so a slow server drops "
                   "the oldest queued frames as for a live camera (default 0)")
    p.add_argument("--encoding", choices=("jpeg", "png", "raw"), default="jpeg",
                   help="how frames are sent (default %(default)s)")
    cfg = p.add_argument_group("initial stream config (unset: the server's defaults)")
    cfg.add_argument("--scheme", help="fp32, frame, skip, resq or dynamic")
    cfg.add_argument("--bits", help='bit-widths, e.g. "W8A8->W8A{0,4,8}"')
    cfg.add_argument("--keyframe-interval", type=int, help="a keyframe every T frames")
    cfg.add_argument("--tau", type=float, help="Dynamic-ResQ threshold")
    live = p.add_argument_group("live control (ControlService, on a second channel and thread)")
    live.add_argument("--update-after", type=int, metavar="K",
                      help="after K results, call UpdateStreamConfig with the --set fields")
    live.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                      help="a config field for --update-after: " + ", ".join(CONFIG_FIELDS)
                      + " (repeatable)")
    live.add_argument("--force-keyframe-after", type=int, metavar="K",
                      help="after K results, call ForceKeyframe")
    sec = p.add_argument_group("security")
    sec.add_argument("--token-file", help="file holding the bearer token for control calls")
    sec.add_argument("--tls-ca", help="CA certificate (PEM): connect with TLS, verified by it")
    out = p.add_argument_group("output")
    out.add_argument("--json", action="store_true",
                     help="one JSON object per line (frames, control events, final summary)")
    out.add_argument("--connect-timeout", type=float, default=5.0,
                     help="seconds to wait for the server (default %(default)s)")
    out.add_argument("--proto-dir", type=Path, default=DEFAULT_PROTO_DIR,
                     help="where resq/v1/*.proto are (default %(default)s)")
    args = p.parse_args(argv)

    host, sep, port = args.server.rpartition(":")
    if not sep or not host or not port.isdigit():
        p.error(f"--server {args.server!r}: expected HOST:PORT")
    for flag in ("frames", "max_in_flight"):
        if getattr(args, flag) < 0:
            p.error(f"--{flag.replace('_', '-')} must be >= 0")
    if args.fps is not None and args.fps < 0:
        p.error("--fps must be >= 0")
    args.update = {}
    for item in args.set:
        field, eq, value = item.partition("=")
        if not eq or field not in CONFIG_FIELDS:
            p.error(f"--set {item!r}: expected FIELD=VALUE with FIELD one of "
                    + ", ".join(CONFIG_FIELDS))
        try:
            args.update[field] = CONFIG_FIELDS[field](value)
        except ValueError:
            kind = "an integer" if CONFIG_FIELDS[field] is int else "a number"
            p.error(f"--set {item!r}: {value!r} is not {kind}")
    if (args.update_after is None) != (not args.update):
        p.error("--update-after K and --set FIELD=VALUE go together")
    # Control calls need the stream open on the server, which the first result proves.
    for flag in ("update_after", "force_keyframe_after"):
        if getattr(args, flag) is not None and getattr(args, flag) < 1:
            p.error(f"--{flag.replace('_', '-')} must be >= 1")
    return args


def read_file_arg(path, what):
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise usage_error(f"cannot read {what} {path}: {e.strerror}") from None
    if not data.strip():
        raise usage_error(f"{what} {path} is empty")
    return data


def load_stubs(proto_dir):
    """Generates (once per proto contents) and imports the resq.v1 Python stubs."""
    protos = sorted((proto_dir / "resq" / "v1").glob("*.proto"))
    if not protos:
        raise usage_error(f"no resq/v1/*.proto under {proto_dir} (see --proto-dir)")
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in protos)).hexdigest()[:16]
    cache_root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    stub_dir = cache_root / "resq" / "python-stubs" / digest
    if not (stub_dir / "resq" / "v1" / "control_pb2_grpc.py").exists():
        tools = {t: shutil.which(t) for t in ("protoc", "grpc_python_plugin")}
        missing = [t for t, path in tools.items() if not path]
        if missing:
            raise usage_error(f"{' and '.join(missing)} not found: install Debian "
                              "protobuf-compiler-grpc (scripts/deps.sh)")
        try:
            stub_dir.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=".gen-", dir=stub_dir.parent))
        except OSError:  # read-only home: generate for this run only
            stub_dir = tmp = Path(tempfile.mkdtemp(prefix="resq-stubs-"))
        cmd = [tools["protoc"], f"-I{proto_dir}", f"--python_out={tmp}", f"--grpc_out={tmp}",
               f"--plugin=protoc-gen-grpc={tools['grpc_python_plugin']}",
               *(str(p.relative_to(proto_dir)) for p in protos)]
        gen = subprocess.run(cmd, capture_output=True, text=True)
        if gen.returncode != 0:
            raise usage_error(f"protoc failed on {proto_dir}: {gen.stderr.strip()}")
        if tmp != stub_dir:
            try:
                tmp.rename(stub_dir)
            except OSError:  # another client generated the same stubs meanwhile
                shutil.rmtree(tmp, ignore_errors=True)
    sys.path.insert(0, str(stub_dir))
    from resq.v1 import control_pb2, control_pb2_grpc, stream_pb2, stream_pb2_grpc
    return stream_pb2, stream_pb2_grpc, control_pb2, control_pb2_grpc


class Source:
    """Frames of a camera or a video file; opening fails with a usage error naming the source."""

    def __init__(self, cv2, spec, loop):
        self.cv2 = cv2
        self.spec = spec
        self.camera = spec.isdigit() or spec.startswith("/dev/video")
        self.loop = loop and not self.camera
        if not spec.isdigit() and not os.path.exists(spec):
            kind = "camera" if self.camera else "video file"
            raise usage_error(f"cannot open source {spec}: no such {kind}")
        self.cap = cv2.VideoCapture(int(spec) if spec.isdigit() else spec)
        ok, self.first = self.cap.read() if self.cap.isOpened() else (False, None)
        if not ok:
            raise usage_error(f"cannot open source {spec}: OpenCV reads no video frames from it")
        fps = self.cap.get(cv2.CAP_PROP_FPS)
        self.native_fps = 0.0 if self.camera or not fps or fps != fps else fps

    def frames(self):
        yield self.first
        while True:
            ok, frame = self.cap.read()
            if not ok and self.loop:
                self.cap.set(self.cv2.CAP_PROP_POS_FRAMES, 0)
                ok, frame = self.cap.read()
            if not ok:
                return
            yield frame


class Output:
    """Per-frame lines or JSON Lines on stdout; one lock because the control thread prints too."""

    def __init__(self, as_json):
        self.as_json = as_json
        self.lock = threading.Lock()

    def emit(self, record, text):
        with self.lock:
            print(json.dumps(record) if self.as_json else text, flush=True)


def config_dict(config):
    return {f: getattr(config, f) for f in CONFIG_FIELDS if config.HasField(f)}


def rpc_failure(what, error):
    return f"{what} failed: {error.code().name}: {error.details()}"


class Client:
    def __init__(self, args, stubs, grpc, cv2, source):
        self.args = args
        self.grpc = grpc
        self.cv2 = cv2
        self.source = source
        self.stream_pb2, stream_grpc, self.control_pb2, control_grpc = stubs
        self.out = Output(args.json)
        self.stream_id = args.stream_id or f"{Path(source.spec).stem}-{os.getpid()}"
        self.stream_channel = self.channel()
        # Control calls get their own channel, as a separate operator tool would have.
        self.control_channel = self.channel()
        self.streams = stream_grpc.StreamServiceStub(self.stream_channel)
        self.control = control_grpc.ControlServiceStub(self.control_channel)
        self.control_metadata = ()
        if args.token_file:
            token = read_file_arg(args.token_file, "token file").decode().strip()
            self.control_metadata = (("authorization", f"Bearer {token}"),)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="control")
        self.control_calls = []
        self.control_errors = []
        self.stop = threading.Event()
        self.producing = threading.Lock()
        self.source_error = None
        # Frames sent and not yet answered (results, errors, or reported as dropped).
        self.in_flight = threading.Semaphore(args.max_in_flight) if args.max_in_flight else None
        self.sent = 0
        self.results = []
        self.frame_errors = 0
        self.dropped = 0

    def channel(self):
        if self.args.tls_ca:
            creds = self.grpc.ssl_channel_credentials(read_file_arg(self.args.tls_ca, "CA file"))
            return self.grpc.secure_channel(self.args.server, creds)
        return self.grpc.insecure_channel(self.args.server)

    def wait_for_server(self):
        try:
            self.grpc.channel_ready_future(self.stream_channel).result(
                timeout=self.args.connect_timeout)
        except self.grpc.FutureTimeoutError:
            hint = " (TLS: check --tls-ca against the server's certificate)" if self.args.tls_ca else ""
            raise server_error(f"cannot reach resq-server at {self.args.server} within "
                               f"{self.args.connect_timeout:g} s{hint}") from None

    def encode(self, frame):
        pb = self.stream_pb2
        if self.args.encoding == "raw":
            rgb = self.cv2.cvtColor(frame, self.cv2.COLOR_BGR2RGB)
            return pb.Frame(raw_rgb8=rgb.tobytes(), width=rgb.shape[1], height=rgb.shape[0])
        ok, data = self.cv2.imencode(".jpg" if self.args.encoding == "jpeg" else ".png", frame)
        if not ok:
            raise RuntimeError(f"OpenCV could not encode a {frame.shape} frame as {self.args.encoding}")
        return pb.Frame(**{self.args.encoding: data.tobytes()})

    def requests(self):
        """The Process call's request stream; runs on a gRPC thread, so it never raises."""
        pb = self.stream_pb2
        config = pb.StreamConfig(**{f: v for f in CONFIG_FIELDS
                                    if (v := getattr(self.args, f)) is not None})
        yield pb.ProcessRequest(open=pb.OpenStream(stream_id=self.stream_id, config=config))
        fps = self.args.fps if self.args.fps is not None else self.source.native_fps
        start = time.monotonic()
        frames = self.source.frames()
        while True:
            # run() takes this lock before it releases the capture under our feet.
            with self.producing:
                request = self.next_request(frames, fps, start)
            if request is None:
                return
            yield request

    def next_request(self, frames, fps, start):
        """The next frame's request once it is due, or None at the end or once run() stops."""
        if self.args.frames and self.sent >= self.args.frames:
            return None
        delay = max(0.0, start + self.sent / fps - time.monotonic()) if fps else 0.0
        if self.stop.wait(delay):
            return None
        while self.in_flight and not self.in_flight.acquire(timeout=0.1):
            if self.stop.is_set():
                return None
        try:
            frame = next(frames, None)
            if frame is None:
                return None
            request = self.stream_pb2.ProcessRequest(frame=self.encode(frame))
        except Exception as e:  # reported by run() once the call ends
            self.source_error = f"reading {self.source.spec}: {e}"
            return None
        request.frame.timestamp_us = time.monotonic_ns() // 1000
        self.sent += 1
        return request

    def answered(self, dropped_now):
        """Frees in-flight slots for the answered frame and any frames dropped since."""
        if self.in_flight:
            for _ in range(1 + max(0, dropped_now - self.dropped)):
                self.in_flight.release()
        self.dropped = max(self.dropped, dropped_now)

    def on_result(self, result):
        s = result.stats
        rtt_ms = (time.monotonic_ns() // 1000 - result.timestamp_us) / 1000.0
        self.answered(result.dropped_frames)
        self.results.append(s)
        saved = 1 - s.bops / s.reference_bops_w8a8 if s.reference_bops_w8a8 else 0.0
        record = {"event": "frame", "frame_index": result.frame_index, "keyframe": s.keyframe,
                  "repeated": s.repeated, "bops": s.bops, "policy_bops": s.policy_bops,
                  "reference_bops_fp32": s.reference_bops_fp32,
                  "reference_bops_w8a8": s.reference_bops_w8a8,
                  "pixels_per_bits": {str(b): n for b, n in sorted(s.pixels_per_bits.items())},
                  "latency_ms": s.latency_ms, "cpu_ms": s.cpu_ms, "rtt_ms": rtt_ms,
                  "dropped_frames": result.dropped_frames}
        kind = "keyframe" if s.keyframe else "repeated" if s.repeated else "residual"
        text = (f"frame {result.frame_index:5d} {kind:8s}  "
                f"bops {s.bops:.3e} ({saved:+.1%} saved vs W8A8)  latency {s.latency_ms:6.1f} ms  "
                f"rtt {rtt_ms:6.1f} ms  dropped {result.dropped_frames}")
        self.out.emit(record, text)
        self.schedule_control(len(self.results))

    def on_error(self, error):
        self.answered(self.dropped)
        self.frame_errors += 1
        self.out.emit({"event": "frame_error", "frame_index": error.frame_index,
                       "message": error.message},
                      f"frame {error.frame_index:5d} error: {error.message}")

    def schedule_control(self, n_results):
        if n_results == self.args.update_after:
            self.control_calls.append(self.executor.submit(self.update_config, n_results))
        if n_results == self.args.force_keyframe_after:
            self.control_calls.append(self.executor.submit(self.force_keyframe, n_results))

    def update_config(self, n_results):
        request = self.control_pb2.UpdateStreamConfigRequest(
            stream_id=self.stream_id, config=self.stream_pb2.StreamConfig(**self.args.update))
        try:
            info = self.control.UpdateStreamConfig(request, metadata=self.control_metadata,
                                                   timeout=10)
        except self.grpc.RpcError as e:
            self.control_errors.append(rpc_failure("UpdateStreamConfig", e))
            return
        config = config_dict(info.config)
        self.out.emit({"event": "config_update", "after_results": n_results,
                       "set": self.args.update, "config": config},
                      f"config update after {n_results} results: "
                      + " ".join(f"{k}={v}" for k, v in config.items()))

    def force_keyframe(self, n_results):
        request = self.control_pb2.ForceKeyframeRequest(stream_id=self.stream_id)
        try:
            self.control.ForceKeyframe(request, metadata=self.control_metadata, timeout=10)
        except self.grpc.RpcError as e:
            self.control_errors.append(rpc_failure("ForceKeyframe", e))
            return
        self.out.emit({"event": "force_keyframe", "after_results": n_results},
                      f"keyframe forced after {n_results} results")

    def summary(self, elapsed):
        bops = sum(s.bops for s in self.results)
        ref = {k: sum(getattr(s, f"reference_bops_{k}") for s in self.results)
               for k in ("fp32", "w8a8")}
        latencies = sorted(s.latency_ms for s in self.results)
        record = {"event": "summary", "stream_id": self.stream_id, "frames_sent": self.sent,
                  "results": len(self.results), "frame_errors": self.frame_errors,
                  "dropped_frames": self.dropped,
                  "keyframes": sum(s.keyframe for s in self.results),
                  "repeated": sum(s.repeated for s in self.results), "bops": bops,
                  "bops_saved_vs_fp32": 1 - bops / ref["fp32"] if ref["fp32"] else None,
                  "bops_saved_vs_w8a8": 1 - bops / ref["w8a8"] if ref["w8a8"] else None,
                  "mean_latency_ms": sum(latencies) / len(latencies) if latencies else None,
                  "elapsed_s": elapsed,
                  "fps": len(self.results) / elapsed if elapsed > 0 else None}
        saved = (f", {record['bops_saved_vs_w8a8']:.1%} BOPs saved vs W8A8, "
                 f"{record['bops_saved_vs_fp32']:.1%} vs fp32, mean latency "
                 f"{record['mean_latency_ms']:.1f} ms" if latencies else "")
        text = (f"stream {self.stream_id}: {self.sent} frames sent, {len(self.results)} results, "
                f"{self.frame_errors} errors, {self.dropped} dropped, {record['keyframes']} "
                f"keyframes, {record['repeated']} repeated in {elapsed:.1f} s{saved}")
        self.out.emit(record, text)

    def run(self):
        self.wait_for_server()
        start = time.monotonic()
        call = self.streams.Process(self.requests())
        failure = None
        try:
            for response in call:
                if response.HasField("result"):
                    self.on_result(response.result)
                else:
                    self.on_error(response.error)
        except self.grpc.RpcError as e:
            failure = rpc_failure(f"Process on {self.args.server}", e)
        except KeyboardInterrupt:
            failure = "interrupted"
        finally:
            # Nothing of gRPC's or OpenCV's may still run when the interpreter exits: that
            # aborts the process ("terminate called without an active exception").
            self.stop.set()
            call.cancel()
            self.producing.acquire(timeout=5)
            self.executor.shutdown(wait=True)
            self.source.cap.release()
            self.stream_channel.close()
            self.control_channel.close()
        self.summary(time.monotonic() - start)
        if failure == "interrupted":
            raise ClientError("interrupted", EXIT_INTERRUPTED)
        problems = [failure, self.source_error, *self.control_errors]
        if self.frame_errors:
            problems.append(f"the server rejected {self.frame_errors} frames")
        problems = [p for p in problems if p]
        if problems:
            raise server_error("; ".join(problems))


def main(argv):
    args = parse_args(argv)
    try:
        # Deferred so --help and usage errors work without the Debian packages.
        os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
        import cv2
        import grpc
    except ImportError as e:
        print(f"camera_client: {e.name} is missing: run with /usr/bin/python3 after "
              "scripts/deps.sh (python3-grpcio, python3-protobuf, python3-opencv)", file=sys.stderr)
        return EXIT_USAGE
    # SIGTERM (e.g. from a test harness or service manager) ends the stream as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        source = Source(cv2, args.source, args.loop)
        stubs = load_stubs(args.proto_dir)
        Client(args, stubs, grpc, cv2, source).run()
    except ClientError as e:
        print(f"camera_client: {e}", file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        print("camera_client: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
