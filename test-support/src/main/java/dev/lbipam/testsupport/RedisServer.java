package dev.lbipam.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real redis-server (Debian's package) on a free loopback port, with no persistence, an ACL user
 * with a password, and the default user disabled. It can be killed and started again, empty, on
 * the same port.
 */
public final class RedisServer implements AutoCloseable {
  public static final String USER = "lbipam";
  public static final String SENTINEL_USER = "sentinel";
  private static final String ADMIN_USER = "operator";
  /** The least-privilege command list for the Redis backend, as documented in docs/redis.md. */
  public static final String ACL_COMMANDS =
      "+eval +evalsha +zrangebylex +smembers +hgetall +set +get +ping +hello +client|setname "
          + "+zadd +zrem +hget +hset +hexists +hdel +hkeys +sadd +srem +del +info";
  private static final String BINARY_ENV = "LBIPAM_REDIS_SERVER";

  private final Path binary;
  private final Path runDir;
  private final int port;
  private final String password;
  private final String sentinelPassword;
  private final boolean tls;
  /** The master's port when this server is its replica. */
  private final Integer masterPort;
  private Process process;

  private RedisServer(Path binary, Path runDir, int port, boolean tls) {
    this(binary, runDir, port, tls, "pw-" + UUID.randomUUID(), "sentinel-" + UUID.randomUUID(), null);
  }

  private RedisServer(
      Path binary, Path runDir, int port, boolean tls, String password, String sentinelPassword, Integer masterPort) {
    this.binary = binary;
    this.runDir = runDir;
    this.port = port;
    this.tls = tls;
    this.password = password;
    this.sentinelPassword = sentinelPassword;
    this.masterPort = masterPort;
  }

  /**
   * Starts a replica of {@code master} with the same users and passwords, so that clients and a
   * Sentinel can switch to it when it is promoted. Waits until it has synced.
   */
  public static RedisServer startReplicaOf(RedisServer master) {
    try {
      RedisServer replica =
          new RedisServer(master.binary, Files.createTempDirectory("lbipam-redis-replica-"), Ports.freeLoopbackPort(),
              false, master.password, master.sentinelPassword, master.port);
      replica.startProcess();
      Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
      while (Instant.now().isBefore(deadline)) {
        if (replica.log().contains("MASTER <-> REPLICA sync: Finished with success")) {
          return replica;
        }
        sleep(50);
      }
      throw new IllegalStateException("replica did not sync:\n" + replica.log());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts one; fails with install instructions when redis-server is missing. */
  public static RedisServer start() {
    return start(false);
  }

  /**
   * Starts one that only speaks TLS, with a throw-away CA and a server certificate for 127.0.0.1
   * made by the openssl command line tool.
   */
  public static RedisServer startWithTls() {
    return start(true);
  }

  private static RedisServer start(boolean tls) {
    Path binary = locate();
    try {
      RedisServer server = new RedisServer(binary, Files.createTempDirectory("lbipam-redis-"), Ports.freeLoopbackPort(), tls);
      if (tls) {
        server.makeCertificates();
      }
      server.startProcess();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The CA that signed the server certificate (TLS mode only). */
  public Path caCertificate() {
    return runDir.resolve("ca.crt");
  }

  private void makeCertificates() throws IOException {
    Path ext = runDir.resolve("san.ext");
    Files.writeString(ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=lbipam-test-ca",
        "-keyout", runDir.resolve("ca.key").toString(), "-out", caCertificate().toString());
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", runDir.resolve("server.key").toString(), "-out", runDir.resolve("server.csr").toString());
    run("openssl", "x509", "-req", "-days", "2", "-in", runDir.resolve("server.csr").toString(),
        "-CA", caCertificate().toString(), "-CAkey", runDir.resolve("ca.key").toString(), "-CAcreateserial",
        "-extfile", ext.toString(), "-out", runDir.resolve("server.crt").toString());
  }

  private void run(String... command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    try {
      if (p.waitFor() != 0) {
        throw new IllegalStateException("failed (install openssl?): " + String.join(" ", command) + "\n" + output);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static Path locate() {
    String override = System.getenv(BINARY_ENV);
    List<Path> candidates = new ArrayList<>();
    if (override != null && !override.isEmpty()) {
      candidates.add(Path.of(override));
    }
    candidates.add(Path.of("/usr/bin/redis-server"));
    candidates.add(Path.of("/usr/local/bin/redis-server"));
    for (Path candidate : candidates) {
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        "redis-server not found (looked at " + candidates + "). Install it with: apt-get install -y redis-server "
            + "(or set " + BINARY_ENV + " to its path). .ci/run installs it.");
  }

  public int port() {
    return port;
  }

  public String password() {
    return password;
  }

  String sentinelPassword() {
    return sentinelPassword;
  }

  Path binary() {
    return binary;
  }

  /** {@code redis://127.0.0.1:port} (or {@code rediss://} with TLS), without credentials. */
  public String url() {
    return (tls ? "rediss" : "redis") + "://127.0.0.1:" + port;
  }

  public boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** SIGKILL: no save, nothing flushed (there is no persistence anyway). */
  public void kill() {
    if (process != null) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** FLUSHALL as an operator would type it: every key of every database is gone. */
  public void flushAll() {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(5000);
      var out = socket.getOutputStream();
      var in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
      out.write(resp("AUTH", ADMIN_USER, sentinelPassword));
      out.write(resp("FLUSHALL"));
      out.flush();
      String auth = in.readLine();
      String flush = in.readLine();
      if (!"+OK".equals(auth) || !"+OK".equals(flush)) {
        throw new IllegalStateException("FLUSHALL failed: " + auth + " / " + flush);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] resp(String... words) {
    StringBuilder text = new StringBuilder("*" + words.length + "\r\n");
    for (String word : words) {
      byte[] bytes = word.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      text.append('$').append(bytes.length).append("\r\n").append(word).append("\r\n");
    }
    return text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Starts again on the same port with an empty data set. */
  public void restart() {
    kill();
    startProcess();
  }

  private void startProcess() {
    List<String> command = new ArrayList<>(List.of(binary.toString(), "--bind", "127.0.0.1"));
    if (tls) {
      command.addAll(List.of("--port", "0", "--tls-port", Integer.toString(port),
          "--tls-cert-file", runDir.resolve("server.crt").toString(),
          "--tls-key-file", runDir.resolve("server.key").toString(),
          "--tls-ca-cert-file", caCertificate().toString(),
          "--tls-auth-clients", "no"));
    } else {
      command.addAll(List.of("--port", Integer.toString(port)));
    }
    List<String> acl = new ArrayList<>(List.of("--user", USER, "on", ">" + password, "~*", "resetchannels", "-@all"));
    acl.addAll(List.of(ACL_COMMANDS.split(" ")));
    command.addAll(
        List.of(
            "--save", "",
            "--appendonly", "no",
            "--dir", runDir.toString(),
            "--protected-mode", "yes",
            "--user", "default", "off"));
    // The commands docs/redis.md tells operators to grant, and nothing more.
    command.addAll(acl);
    // What a Sentinel needs to monitor this server (see RedisSentinel), and a replica to sync.
    command.addAll(List.of("--user", SENTINEL_USER, "on", ">" + sentinelPassword, "allchannels", "+multi", "+slaveof",
        "+ping", "+exec", "+subscribe", "+config|rewrite", "+role", "+publish", "+info", "+client|setname",
        "+client|kill", "+script|kill", "+psync", "+replconf"));
    // An operator's account for tests that wipe the data set; the backend never uses it.
    command.addAll(List.of("--user", ADMIN_USER, "on", ">" + sentinelPassword, "~*", "&*", "+@all"));
    if (masterPort != null) {
      command.addAll(List.of("--replicaof", "127.0.0.1", Integer.toString(masterPort),
          "--masteruser", SENTINEL_USER, "--masterauth", sentinelPassword));
    }
    try {
      process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(runDir.resolve("redis.log").toFile()))
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("could not start " + binary, e);
    }
    Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException("redis-server exited:\n" + log());
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        sleep(50);
      }
    }
    throw new IllegalStateException("redis-server did not listen on " + port + ":\n" + log());
  }

  public String log() {
    try {
      return Files.readString(runDir.resolve("redis.log"));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    kill();
    try (Stream<Path> files = Files.walk(runDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort
    }
  }
}
