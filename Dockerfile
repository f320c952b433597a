# The controller image. Build the jars first: mvn -B install -DskipTests
#   docker build -t lbipam-controller:0.1.0 .
# (Our development machines have no Docker engine; this file is for you. It is not built in CI.)
FROM eclipse-temurin:17-jre
WORKDIR /opt/lbipam
COPY controller/target/lib/ lib/
COPY controller/target/controller-*.jar controller.jar
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["java", "-XX:+ExitOnOutOfMemoryError", "-jar", "/opt/lbipam/controller.jar"]
