#!/bin/sh
# Builds the Kafka mock broker (librdkafka's mock cluster in its own process)
# into scripts/bin/kafka-mock. Needs cc, pkg-config and librdkafka-dev.
# test/support/kafka-mock.ts runs this when the binary is missing or stale.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../bin"
mkdir -p "$out"
# shellcheck disable=SC2046 # pkg-config's flags are meant to split
cc -O2 -Wall -Wextra -o "$out/kafka-mock.$$.tmp" "$here/kafka-mock.c" \
	$(pkg-config --cflags --libs rdkafka 2>/dev/null || echo -lrdkafka)
# Renamed into place so a concurrent run never executes a half-written file.
mv "$out/kafka-mock.$$.tmp" "$out/kafka-mock"
