#!/usr/bin/env bash
# Fetches the Apache Kafka broker (org.apache.kafka:kafka_2.13 and its runtime jars) from Maven Central into a
# cache outside the clone, once. Prints the directory holding the jars on stdout; everything else goes to stderr.
#
#   scripts/kafka/fetch-jars.sh            # uses KAFKA_VERSION (default below) and SLUICE_KAFKA_CACHE
#
# Cache: ${SLUICE_KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}/kafka-<version>/libs
# A `.complete` marker is written last, so an interrupted download is redone on the next run.
set -euo pipefail

version="${KAFKA_VERSION:-4.1.1}"
# slf4j 1.x binding (Kafka 4.1 uses slf4j-api 1.7) so the broker writes its log: the tarball ships one, the POM does not.
slf4j_binding_version="2.24.3"
cache_root="${SLUICE_KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}"
dir="$cache_root/kafka-$version"
libs="$dir/libs"

if [[ -f "$dir/.complete" ]]; then
  echo "$libs"
  exit 0
fi

command -v mvn >/dev/null || { echo "fetch-jars: Maven (mvn) is not installed" >&2; exit 2; }
command -v java >/dev/null || { echo "fetch-jars: Java (17+) is not installed" >&2; exit 2; }

echo "fetch-jars: downloading Apache Kafka $version into $dir (once)" >&2
mkdir -p "$dir"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>sluice.local</groupId>
  <artifactId>kafka-broker-jars</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$version</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>$slf4j_binding_version</version>
    </dependency>
  </dependencies>
</project>
POM
rm -rf "$libs"
mvn -q -B -f "$work/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs" >&2
count="$(ls "$libs"/*.jar | wc -l)"
echo "fetch-jars: $count jars in $libs" >&2
touch "$dir/.complete"
echo "$libs"
