#!/usr/bin/env bash
# The triage node on the CPU here: instances/s received (storescu sending STUDIES synthetic studies
# of SLICES 512 x 512 slices over one association, wall clock of the whole send) and the latency
# from a study's last instance to its results (the node's status file: mean and max of
# result_latency_seconds, which includes the --study-idle-seconds wait, IDLE), with a ResNet-18
# (ARCH) trained for one short epoch at IMAGE_SIZE px: its weights do not matter for the timing.
# Usage: bench/serve_cpu.sh   Environment: BUILD_DIR (build), STUDIES (4), SLICES (20),
# IDLE (1), ARCH (resnet18), IMAGE_SIZE (256).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}
studies=${STUDIES:-4} slices=${SLICES:-20} idle=${IDLE:-1}
arch=${ARCH:-resnet18} image_size=${IMAGE_SIZE:-256}
work=$(mktemp -d)
node_pid=
trap '[ -n "$node_pid" ] && kill "$node_pid" 2> /dev/null; rm -rf "$work"' EXIT
"$build_dir/apps/ihd_train" --synth-patients 8 --synth-slices 2 --arch "$arch" \
  --image-size "$image_size" --batch 4 --epochs 1 --workers 1 --quiet \
  --data-cache "$work/data" --out "$work/run" > /dev/null
"$build_dir/apps/ihd_synth" --out "$work/studies" --patients "$studies" \
  --slices-per-patient "$slices" --size 512 --quiet > /dev/null
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$build_dir/apps/ihd_serve" --model "$work/run" --port "$port" --allow-ae BENCH \
  --spool "$work/spool" --out "$work/out" --status-file "$work/status.json" \
  --study-idle-seconds "$idle" > "$work/node.log" 2>&1 &
node_pid=$!
until echoscu -aet BENCH -aec IHD_SERVE 127.0.0.1 "$port" 2> /dev/null; do sleep 0.2; done
echo "cpu: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p'), $(nproc) cores;" \
     "load average: $(cut -d' ' -f1-3 /proc/loadavg); commit $(git -C "$repo" rev-parse --short HEAD)"
instances=$((studies * slices))
start=$(date +%s.%N)
storescu -aet BENCH -aec IHD_SERVE 127.0.0.1 "$port" +sd "$work/studies/stage_2_train"
end=$(date +%s.%N)
field() { python3 -c "import json, sys; s = json.load(open(sys.argv[1])); print($1)" "$work/status.json"; }
until [ "$(field "s['stored'] == $instances and s['studies_pending'] == 0")" = True ]; do
  sleep 0.5
done
echo "$instances instances of $studies studies: $(python3 -c "print(f'{$instances / ($end - $start):.1f}')") instances/s received"
echo "latency from a study's last instance to its results (idle $idle s included):" \
     "mean $(field "f\"{s['result_latency_seconds']['mean']:.2f}\"") s," \
     "max $(field "f\"{s['result_latency_seconds']['max']:.2f}\"") s" \
     "($(field "s['studies_done']") result runs)"
