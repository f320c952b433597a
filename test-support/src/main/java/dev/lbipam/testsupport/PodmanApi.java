package dev.lbipam.testsupport;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * podman's Docker-compatible API, which Testcontainers talks to on machines without a Docker
 * engine. The socket is the one {@code DOCKER_HOST} names (failsafe sets it); when nothing listens
 * there, this starts {@code podman system service} on it for the rest of the JVM's life.
 */
public final class PodmanApi {
  static final String HOW_TO_GET_PODMAN =
      "run dev/image/podman-setup.sh as root: it installs podman, runc and mmdebstrap from Debian's packages "
          + "and writes the two settings our machines need into /etc/containers/containers.conf";

  private static Process service;

  private PodmanApi() {}

  /** Makes sure the API answers on DOCKER_HOST's socket; fails with how to get podman if it can't. */
  public static synchronized Path ensureRunning() {
    String dockerHost = System.getenv("DOCKER_HOST");
    if (dockerHost == null || !dockerHost.startsWith("unix://")) {
      throw new IllegalStateException("DOCKER_HOST must name podman's API socket (unix://...), but it is "
          + dockerHost + ": run the container tests through Maven (mvn verify sets it in the failsafe configuration)");
    }
    Path socket = Path.of(dockerHost.substring("unix://".length()));
    if (answers(socket)) {
      return socket;
    }
    String version = run(List.of("podman", "--version"));
    try {
      Files.createDirectories(socket.getParent());
      Files.deleteIfExists(socket);
      Path log = socket.resolveSibling("podman-service.log");
      service = new ProcessBuilder("podman", "system", "service", "--time=0", dockerHost)
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> service.destroy()));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!answers(socket)) {
        if (!service.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException("podman system service (" + version + ") did not serve " + socket + ":\n"
              + Files.readString(log));
        }
        Thread.sleep(100);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot start podman system service on " + socket + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return socket;
  }

  /** Runs a command; fails with its output unless it exits 0, and with how to get podman if it is missing. */
  public static String run(List<String> command) {
    Process process;
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IllegalStateException(command.get(0) + " is not installed (" + e.getMessage() + "): " + HOW_TO_GET_PODMAN, e);
    }
    try {
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (process.waitFor() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed with exit code " + process.exitValue()
            + ":\n" + output);
      }
      return output;
    } catch (IOException e) {
      throw new IllegalStateException(String.join(" ", command) + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static boolean answers(Path socket) {
    if (!Files.exists(socket)) {
      return false;
    }
    try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      return channel.isConnected();
    } catch (IOException e) {
      return false;
    }
  }
}
