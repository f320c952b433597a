package dev.lbipam.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubeBinariesTest {

  @TempDir Path tmp;

  @Test
  void missingFolderFailsWithBuildInstructions() {
    Path missing = tmp.resolve("no-such-folder");

    assertThatThrownBy(() -> KubeBinaries.at(missing))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(missing.toString())
        .hasMessageContaining("dev/kube-bins/build.sh")
        .hasMessageContaining("cold build 10-20 min, needs Go and the Go module proxy");
  }

  @Test
  void nonExecutableBinaryFails() throws IOException {
    Files.writeString(tmp.resolve("kube-apiserver"), "#!/bin/sh\n");
    Files.setPosixFilePermissions(tmp.resolve("kube-apiserver"),
        PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(tmp.resolve("etcd"), "not executable");

    assertThatThrownBy(() -> KubeBinaries.at(tmp))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("etcd")
        .hasMessageContaining("dev/kube-bins/build.sh");
  }

  @Test
  void startFailsLoudlyWithoutBinaries() {
    assertThatThrownBy(() -> KubeApiServer.start(tmp))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("dev/kube-bins/build.sh");
  }

  @Test
  void folderWithBothExecutablesIsAccepted() throws IOException {
    for (String name : new String[] {"kube-apiserver", "etcd"}) {
      Files.writeString(tmp.resolve(name), "#!/bin/sh\n");
      Files.setPosixFilePermissions(tmp.resolve(name), PosixFilePermissions.fromString("rwx------"));
    }

    KubeBinaries binaries = KubeBinaries.at(tmp);

    assertThat(binaries.kubeApiServer()).isEqualTo(tmp.resolve("kube-apiserver"));
    assertThat(binaries.etcd()).isEqualTo(tmp.resolve("etcd"));
  }

  @Test
  void envVariableOverridesTheFolder() {
    Path folder = KubeBinaries.expectedFolder(
        Map.of("LBIPAM_KUBE_BINS", "/opt/kube"), tmp, tmp.resolve("home"));

    assertThat(folder).isEqualTo(Path.of("/opt/kube"));
  }

  @Test
  void keyIsLikeBuildSh() throws IOException {
    // printf 'module x\n' > go.mod; printf 'sum\n' > go.sum; cat go.mod go.sum | sha256sum | cut -c1-16
    Path repo = fakeRepo("module x\n", "sum\n");
    Path nested = Files.createDirectories(repo.resolve("controller/target"));

    Path folder = KubeBinaries.expectedFolder(Map.of(), nested, tmp.resolve("home"));

    assertThat(folder).isEqualTo(
        tmp.resolve("home/.cache/lbipam/kube-bins/50a182be5becc942"));
  }

  @Test
  void cacheEnvMovesTheCacheRoot() throws IOException {
    Path repo = fakeRepo("module x\n", "sum\n");

    Path folder = KubeBinaries.expectedFolder(
        Map.of("LBIPAM_CACHE", "/var/cache/lb"), repo, tmp.resolve("home"));

    assertThat(folder).isEqualTo(Path.of("/var/cache/lb/kube-bins/50a182be5becc942"));
  }

  @Test
  void outsideTheRepoFailsWithInstructions() {
    assertThatThrownBy(() -> KubeBinaries.expectedFolder(Map.of(), tmp, tmp))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("dev/kube-bins/go.mod")
        .hasMessageContaining("LBIPAM_KUBE_BINS")
        .hasMessageContaining("dev/kube-bins/build.sh");
  }

  @Test
  void realRepoKeyMatchesBuildShFormat() {
    Path folder = KubeBinaries.expectedFolder(
        Map.of(), Path.of(System.getProperty("user.dir")), tmp);

    assertThat(folder.getFileName().toString()).matches("[0-9a-f]{16}");
  }

  @Test
  void pemIsBase64In64CharLines() throws Exception {
    var generator = java.security.KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    var pair = generator.generateKeyPair();

    String pem = KubeApiServer.pem("PRIVATE KEY", pair.getPrivate().getEncoded());

    assertThat(pem).startsWith("-----BEGIN PRIVATE KEY-----\n")
        .endsWith("\n-----END PRIVATE KEY-----\n");
    String[] lines = pem.split("\n");
    for (int i = 1; i < lines.length - 2; i++) {
      assertThat(lines[i]).hasSize(64);
    }
    String body = String.join("", java.util.Arrays.copyOfRange(lines, 1, lines.length - 1));
    assertThat(KeyFactory.getInstance("RSA")
        .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body))))
        .isEqualTo(pair.getPrivate());
  }

  @Test
  void freeLoopbackPortIsBindable() throws IOException {
    int port = Ports.freeLoopbackPort();

    assertThat(port).isBetween(1, 65535);
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      assertThat(socket.getLocalPort()).isEqualTo(port);
    }
  }

  @Test
  void tailKeepsTheLastLines() throws IOException {
    Path log = tmp.resolve("x.log");
    StringBuilder text = new StringBuilder();
    for (int i = 1; i <= 100; i++) {
      text.append("line ").append(i).append('\n');
    }
    Files.writeString(log, text, StandardCharsets.UTF_8);

    String tail = KubeApiServer.tail(log, 40);

    assertThat(tail.split("\n")).hasSize(40).startsWith("line 61").endsWith("line 100");
  }

  private Path fakeRepo(String goMod, String goSum) throws IOException {
    Path repo = tmp.resolve("repo");
    Path module = Files.createDirectories(repo.resolve("dev/kube-bins"));
    Files.writeString(module.resolve("go.mod"), goMod);
    Files.writeString(module.resolve("go.sum"), goSum);
    return repo;
  }
}
