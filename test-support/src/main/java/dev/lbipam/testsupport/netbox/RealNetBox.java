package dev.lbipam.testsupport.netbox;

import dev.lbipam.testsupport.Ports;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A real NetBox on loopback ports, as {@code dev/netbox/build.sh} built it (from PyPI and Debian's
 * packages): a copy of the cached, migrated PostgreSQL cluster, a redis-server, and NetBox under
 * gunicorn with its default keep-alive (2 s). Two v2 tokens: {@link #adminToken()} for the tests'
 * own set-up, {@link #lbipamToken()} with only the permissions docs/netbox.md lists. A missing
 * build is an {@link IllegalStateException} saying how to make it, never a skip.
 */
public final class RealNetBox implements AutoCloseable {
  public static final String DEFAULT_VERSION = "4.7.3";
  private static final Duration STARTUP = Duration.ofSeconds(180);
  private static RealNetBox shared;

  private final String version;
  private final Path work;
  private final Path pgBin;
  private final String url;
  private final String adminToken;
  private final String lbipamToken;
  private final List<Process> processes = new ArrayList<>();

  /** One NetBox per JVM, started on first use and stopped at exit. */
  public static synchronized RealNetBox shared() {
    if (shared == null) {
      shared = start();
      Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "real-netbox-stop"));
    }
    return shared;
  }

  public static RealNetBox start() {
    try {
      return new RealNetBox();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the real NetBox: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private RealNetBox() throws IOException, InterruptedException {
    Path build = buildFolder();
    version = build.getFileName().toString().split("-")[0];
    Properties tokens = new Properties();
    try (var in = Files.newBufferedReader(build.resolve("tokens.env"))) {
      tokens.load(in);
    }
    adminToken = tokens.getProperty("NETBOX_ADMIN_TOKEN");
    lbipamToken = tokens.getProperty("NETBOX_LBIPAM_TOKEN");
    pgBin = postgresBin();
    work = Files.createTempDirectory("lbipam-netbox-");
    run(List.of("tar", "-C", work.toString(), "-xf", build.resolve("pgdata.tar").toString()));
    run(List.of("chown", "-R", "postgres:postgres", work.toString()));
    int pgPort = Ports.freeLoopbackPort();
    int redisPort = Ports.freeLoopbackPort();
    int httpPort = Ports.freeLoopbackPort();
    run(List.of("runuser", "-u", "postgres", "--", pgBin.resolve("pg_ctl").toString(), "-D", work.resolve("pgdata").toString(),
        "-w", "-l", work.resolve("pgdata/server.log").toString(),
        "-o", "-p " + pgPort + " -k " + work + " -c listen_addresses=127.0.0.1", "start"));
    processes.add(new ProcessBuilder("redis-server", "--port", Integer.toString(redisPort), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no").redirectErrorStream(true).redirectOutput(work.resolve("redis.log").toFile()).start());
    // python -m: the venv was built in another folder and moved, so its scripts' #! lines are stale.
    ProcessBuilder gunicorn = new ProcessBuilder(build.resolve("venv/bin/python").toString(), "-m", "gunicorn", "--bind",
        "127.0.0.1:" + httpPort, "--workers", "3", "--threads", "3", "--timeout", "120", "netbox.wsgi")
        .redirectErrorStream(true).redirectOutput(work.resolve("gunicorn.log").toFile());
    Map<String, String> env = gunicorn.environment();
    env.put("NETBOX_ROOT", build.resolve("root").toString());
    env.put("LBIPAM_NETBOX_DB_PORT", Integer.toString(pgPort));
    env.put("LBIPAM_NETBOX_REDIS_PORT", Integer.toString(redisPort));
    env.put("DJANGO_SETTINGS_MODULE", "netbox.settings");
    processes.add(gunicorn.start());
    url = "http://127.0.0.1:" + httpPort;
    awaitStatus();
  }

  /** The cached build for this version and build script, or how to make it. */
  static Path buildFolder() {
    String version = System.getenv().getOrDefault("NETBOX_VERSION", DEFAULT_VERSION);
    Path root = Path.of("").toAbsolutePath();
    while (root != null && !Files.isRegularFile(root.resolve("dev/netbox/build.sh"))) {
      root = root.getParent();
    }
    if (root == null) {
      throw new IllegalStateException("dev/netbox/build.sh not found above " + Path.of("").toAbsolutePath());
    }
    String key;
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(root.resolve("dev/netbox/build.sh")));
      key = version + "-" + HexFormat.of().formatHex(digest).substring(0, 12);
    } catch (IOException | java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    String cache = System.getenv("LBIPAM_CACHE");
    Path folder = (cache != null && !cache.isBlank() ? Path.of(cache) : Path.of(System.getProperty("user.home"), ".cache", "lbipam"))
        .resolve("netbox").resolve(key);
    if (!Files.isRegularFile(folder.resolve("pgdata.tar")) || !Files.isRegularFile(folder.resolve("tokens.env"))) {
      throw new IllegalStateException("No real NetBox " + version + " built at " + folder + ". Run dev/netbox/build.sh"
          + " as root (10-15 minutes cold; needs Python 3.12+ from pyenv, PyPI, and Debian's postgresql, libpq-dev and"
          + " redis-server; .ci/run does all of it).");
    }
    return folder;
  }

  private static Path postgresBin() throws IOException {
    try (var versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("pg_ctl")))
          .max(java.util.Comparator.comparing(Path::toString))
          .orElseThrow(() -> new IllegalStateException("PostgreSQL is missing: apt-get install -y postgresql"));
    } catch (java.nio.file.NoSuchFileException e) {
      throw new IllegalStateException("PostgreSQL is missing: apt-get install -y postgresql", e);
    }
  }

  private void awaitStatus() throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + STARTUP.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      for (Process process : processes) {
        if (!process.isAlive()) {
          throw new IllegalStateException("a NetBox process exited early:\n" + logs());
        }
      }
      try {
        HttpResponse<String> status = http.send(HttpRequest.newBuilder(URI.create(url + "/api/status/"))
            .header("Authorization", "Bearer " + adminToken).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (status.statusCode() == 200 && status.body().contains("\"netbox-version\"")) {
          return;
        }
        last = status.statusCode() + " " + status.body();
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(500);
    }
    throw new IllegalStateException("NetBox did not answer /api/status/ within " + STARTUP + " (last: " + last + "):\n" + logs());
  }

  private String logs() {
    StringBuilder text = new StringBuilder();
    for (String log : List.of("gunicorn.log", "redis.log", "pgdata/server.log")) {
      try {
        List<String> lines = Files.readAllLines(work.resolve(log), StandardCharsets.UTF_8);
        text.append("--- ").append(log).append('\n')
            .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()))).append('\n');
      } catch (IOException e) {
        text.append("--- ").append(log).append(": ").append(e.getMessage()).append('\n');
      }
    }
    return text.toString();
  }

  private static void run(List<String> command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed:\n" + output);
    }
  }

  public String url() {
    return url;
  }

  public String version() {
    return version;
  }

  /** A superuser's token, for a test's own set-up and checks. */
  public String adminToken() {
    return adminToken;
  }

  /** A token with exactly the permissions docs/netbox.md asks for: what lbipam runs with. */
  public String lbipamToken() {
    return lbipamToken;
  }

  @Override
  public synchronized void close() {
    for (Process process : processes) {
      process.destroy();
    }
    try {
      run(List.of("runuser", "-u", "postgres", "--", pgBin.resolve("pg_ctl").toString(), "-D",
          work.resolve("pgdata").toString(), "-m", "fast", "-w", "stop"));
    } catch (IOException | InterruptedException | IllegalStateException e) {
      // already stopped
    }
    try {
      run(List.of("rm", "-rf", work.toString()));
    } catch (IOException | InterruptedException | IllegalStateException e) {
      // best effort
    }
  }

  @Override
  public String toString() {
    return "real NetBox " + version + " at " + url;
  }
}
