# syntax=docker/dockerfile:1.7
# loss-monitor: built with the Maven Wrapper, run on a JRE as a non-root user. Works with a read-only root file
# system: RocksDB's native library and the state go to /tmp (mount a volume at LOSSMONITOR_STATE_DIR for state).
ARG JDK_IMAGE=eclipse-temurin:21.0.7_6-jdk-noble
ARG JRE_IMAGE=eclipse-temurin:21.0.7_6-jre-noble

FROM ${JDK_IMAGE} AS build
WORKDIR /src
COPY .mvn .mvn
COPY mvnw pom.xml ./
COPY schemas schemas
COPY src/main src/main
# mdep.skip: the test registry (Apicurio) is not needed to build the jar.
RUN ./mvnw -B -q -DskipTests -Dmaven.test.skip=true -Dmdep.skip=true package

FROM ${JRE_IMAGE}
RUN groupadd --system --gid 10001 lossmon && useradd --system --uid 10001 --gid lossmon --no-create-home lossmon
COPY --from=build /src/target/loss-monitor.jar /app/loss-monitor.jar
USER 10001:10001
# Heap sized from the container's memory limit; the rest is RocksDB's (off-heap) and the JVM's.
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=60 -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp" \
    LOSSMONITOR_STATE_DIR=/tmp/loss-monitor \
    LOSSMONITOR_HTTP_PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=10s --start-period=60s --retries=3 \
    CMD ["java", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp", "/app/loss-monitor.jar", "io.lossmonitor.cli.HealthCheck", "http://127.0.0.1:8080/health/live"]
# jdk.incubator.vector: the loss core's SIMD kernels (without it, the exact scalar loops run).
ENTRYPOINT ["java", "--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector", "-jar", "/app/loss-monitor.jar"]
CMD ["run"]
