package dev.lbipam.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A real Redis Sentinel (redis-server --sentinel) on a free loopback port, watching one RedisServer. */
public final class RedisSentinel implements AutoCloseable {
  public static final String MASTER = "lbipam-master";
  private final Process process;
  private final Path runDir;
  private final int port;

  private RedisSentinel(Process process, Path runDir, int port) {
    this.process = process;
    this.runDir = runDir;
    this.port = port;
  }

  public static RedisSentinel watching(RedisServer master) {
    try {
      Path runDir = Files.createTempDirectory("lbipam-sentinel-");
      int port = Ports.freeLoopbackPort();
      Path config = runDir.resolve("sentinel.conf");
      Files.writeString(
          config,
          String.join(
              "\n",
              "port " + port,
              "bind 127.0.0.1",
              "dir " + runDir,
              "sentinel monitor " + MASTER + " 127.0.0.1 " + master.port() + " 1",
              "sentinel auth-user " + MASTER + " " + RedisServer.SENTINEL_USER,
              "sentinel auth-pass " + MASTER + " " + master.sentinelPassword(),
              "sentinel down-after-milliseconds " + MASTER + " 5000",
              ""));
      Process process =
          new ProcessBuilder(List.of(master.binary().toString(), config.toString(), "--sentinel"))
              .redirectErrorStream(true)
              .redirectOutput(runDir.resolve("sentinel.log").toFile())
              .start();
      Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
      while (Instant.now().isBefore(deadline)) {
        if (!process.isAlive()) {
          throw new IllegalStateException("redis sentinel exited:\n" + Files.readString(runDir.resolve("sentinel.log")));
        }
        try (Socket socket = new Socket()) {
          socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
          return new RedisSentinel(process, runDir, port);
        } catch (IOException notYet) {
          Thread.sleep(50);
        }
      }
      process.destroyForcibly();
      throw new IllegalStateException("redis sentinel did not listen on " + port);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** {@code 127.0.0.1:port}, as the backend's {@code sentinels} option takes it. */
  public String address() {
    return "127.0.0.1:" + port;
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> files = Files.walk(runDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort
    }
  }
}
