# Sourced by the compare scripts: writes what the run was measured on to "$OUT/env.txt".
write_env() {
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') x $(nproc)"
    echo "node: $(node --version)"
    echo "load before run: $(cut -d' ' -f1-3 /proc/loadavg)"
  } > "$OUT/env.txt"
}
