package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Capability;
import dev.lbipam.testsupport.KubeApiServer;
import dev.lbipam.testsupport.KubeApiServerExtension;
import dev.lbipam.testsupport.PodmanApi;
import dev.lbipam.testsupport.Ports;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The controller image, built by dev/image/build.sh and started through podman's Docker API by
 * Testcontainers the way the Deployment runs it: in-cluster configuration from a mounted
 * ServiceAccount token, read-only root, uid 65532, every capability dropped, no new privileges.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ControllerImageIT {
  @RegisterExtension static final KubeApiServerExtension KUBE = new KubeApiServerExtension();
  static final Duration WAIT = Duration.ofSeconds(90);
  static final int STOP_GRACE_SECONDS = 30;

  static String image;
  static int httpPort;
  static TestServices kube;
  static GenericContainer<?> controller;

  @BeforeAll
  static void buildAndStart() throws Exception {
    PodmanApi.ensureRunning();
    image = buildImage();
    KubeApiServer server = KUBE.server();
    Manifests.installPrerequisites(server.adminClient());
    kube = new TestServices(server.adminClient());
    kube.setPoolKeys(Map.of("cidr-global", "10.98.0.0/28"));

    // What the kubelet mounts into every pod of the ServiceAccount, readable by uid 65532.
    Path account = Files.createDirectories(Path.of("target", "image-it", "serviceaccount")).toAbsolutePath();
    Files.writeString(account.resolve("token"),
        server.serviceAccountToken(KubeApiServer.DEFAULT_SA_NAMESPACE, KubeApiServer.DEFAULT_SA_NAME));
    Files.write(account.resolve("ca.crt"), server.caCertificatePem());
    Files.writeString(account.resolve("namespace"), KubeApiServer.DEFAULT_SA_NAMESPACE);
    for (String file : List.of("token", "ca.crt", "namespace")) {
      Files.setPosixFilePermissions(account.resolve(file), PosixFilePermissions.fromString("rw-r--r--"));
    }

    httpPort = Ports.freeLoopbackPort();
    controller = new GenericContainer<>(DockerImageName.parse(image))
        .withNetworkMode("host")
        .withFileSystemBind(account.toString(), "/var/run/secrets/kubernetes.io/serviceaccount", BindMode.READ_ONLY)
        .withEnv("KUBERNETES_SERVICE_HOST", server.url().getHost())
        .withEnv("KUBERNETES_SERVICE_PORT", Integer.toString(server.url().getPort()))
        .withEnv("POD_NAME", "lbipam-image-it")
        .withEnv("KUBEVIP_NAMESPACE", "kube-system")
        .withCommand("--http-port=" + httpPort, "--bind-address=127.0.0.1",
            "--lease-duration=PT6S", "--renew-deadline=PT4S", "--retry-period=PT1S")
        .withTmpFs(Map.of("/tmp", "rw,size=64m"))
        .withCreateContainerCmdModifier(cmd -> {
          cmd.withUser("65532:65532");
          cmd.getHostConfig()
              .withReadonlyRootfs(true)
              .withCapDrop(Capability.ALL)
              .withSecurityOpts(List.of("no-new-privileges"));
        })
        .waitingFor(Wait.forLogMessage(".*http listening port=.*", 1).withStartupTimeout(WAIT));
    controller.start();
  }

  @AfterAll
  static void removeContainer() {
    if (controller != null) {
      controller.stop();
    }
  }

  static String buildImage() {
    Path root = Manifests.directory().getParent();
    String output = PodmanApi.run(List.of(root.resolve("dev/image/build.sh").toString()));
    String[] lines = output.strip().split("\n");
    return lines[lines.length - 1].strip();
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @Order(1)
  void theImageIsLabelledAndRunsAsTheNonRootUser() {
    var inspected = DockerClientFactory.instance().client().inspectImageCmd(image).exec();
    Map<String, String> labels = inspected.getConfig().getLabels();
    assertThat(labels).containsEntry("org.opencontainers.image.version", image.substring(image.lastIndexOf(':') + 1))
        .containsKeys("org.opencontainers.image.revision", "org.opencontainers.image.source");
    assertThat(labels.get("org.opencontainers.image.revision")).isNotBlank().isNotEqualTo("unknown");
    assertThat(inspected.getConfig().getUser()).isEqualTo("65532:65532");
  }

  @Test
  @Order(1)
  void rebuildingFromTheSameInputsGivesTheSameImage() {
    DockerClient docker = DockerClientFactory.instance().client();
    String first = docker.inspectImageCmd(image).exec().getId();
    assertThat(buildImage()).isEqualTo(image);
    assertThat(docker.inspectImageCmd(image).exec().getId()).isEqualTo(first);
  }

  @Test
  @Order(1)
  void theImageHasNoShell() {
    try (GenericContainer<?> shell = new GenericContainer<>(DockerImageName.parse(image))
        .withCreateContainerCmdModifier(cmd -> cmd.withEntrypoint("/bin/sh", "-c", "true"))
        .withStartupTimeout(Duration.ofSeconds(20))) {
      assertThatThrownBy(shell::start).hasStackTraceContaining("/bin/sh");
    }
  }

  @Test
  @Order(2)
  void itLeadsAllocatesAndServesItsEndpoints() throws Exception {
    String ns = kube.createNamespace("image");
    for (int i = 0; i < 4; i++) {
      kube.create(TestServices.loadBalancer(ns, "svc-" + i));
    }
    Set<String> addresses = new HashSet<>();
    await().atMost(WAIT).untilAsserted(() -> {
      addresses.clear();
      for (int i = 0; i < 4; i++) {
        addresses.add(kube.addresses(ns, "svc-" + i).orElseThrow(() -> new AssertionError("not addressed yet")));
      }
      assertThat(addresses).hasSize(4);
    });
    assertThat(addresses).allMatch(a -> a.startsWith("10.98.0."));
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
    assertThat(get("/readyz").statusCode()).isEqualTo(200);
    HttpResponse<String> metrics = get("/metrics");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body()).contains("lbipam_leader 1.0").contains("lbipam_build_info{");
  }

  @Test
  @Order(3)
  void sigtermStopsItCleanlyWithinTheGracePeriod() {
    DockerClient docker = DockerClientFactory.instance().client();
    String id = controller.getContainerId();
    // podman sends SIGTERM, then SIGKILL (exit 137) if the process is still there after the grace.
    long start = System.nanoTime();
    docker.stopContainerCmd(id).withTimeout(STOP_GRACE_SECONDS).exec();
    System.out.printf("stop took %d ms%n", (System.nanoTime() - start) / 1_000_000);
    var state = docker.inspectContainerCmd(id).exec().getState();
    String logs = controller.getLogs();
    assertThat(state.getExitCodeLong()).as("exit code after SIGTERM\n%s", logs).isEqualTo(143L);
    assertThat(logs).contains("stopped").doesNotContain("level=error").doesNotContain("Exception");
  }
}
