package dev.lbipam.controller;

import dev.lbipam.testsupport.KubeApiServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the real controller ({@link Main}) as a separate JVM with the ServiceAccount's kubeconfig,
 * so that tests exercise the command line, the manifest's RBAC and a real kill -9.
 */
final class ControllerProcess implements AutoCloseable {
  private static final Pattern PORT = Pattern.compile("http listening port=(\\d+)");
  private final Process process;
  private final Path log;
  private final String name;

  private ControllerProcess(Process process, Path log, String name) {
    this.process = process;
    this.log = log;
    this.name = name;
  }

  /** Its leader-election identity. */
  String name() {
    return name;
  }

  static ControllerProcess start(KubeApiServer server, String name, String... extraArgs) throws IOException {
    return start(server, name, java.util.Map.of(), extraArgs);
  }

  /** As {@link #start(KubeApiServer, String, String...)}, with extra environment variables (e.g. secrets). */
  static ControllerProcess start(KubeApiServer server, String name, java.util.Map<String, String> env, String... extraArgs)
      throws IOException {
    Path dir = Files.createDirectories(server.runDirectory().resolve("controllers"));
    Path kubeconfig =
        server.writeKubeconfig(dir.resolve(name + ".kubeconfig"), KubeApiServer.DEFAULT_SA_NAMESPACE, KubeApiServer.DEFAULT_SA_NAME);
    // Logs outlive the API server's run directory, for a look after a failed run.
    Path logs = Files.createDirectories(Path.of("target", "controller-logs"));
    Path log = logs.resolve(name + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime() + ".log");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Main.class.getName());
    command.add("--kubeconfig=" + kubeconfig);
    command.add("--http-port=0");
    command.add("--bind-address=127.0.0.1");
    command.add("--identity=" + name);
    command.add("--lease-duration=PT6S");
    command.add("--renew-deadline=PT4S");
    command.add("--retry-period=PT1S");
    command.addAll(List.of(extraArgs));
    // Benchmarks: extra controller flags for every controller started (e.g. --workers=16).
    String more = System.getenv().getOrDefault("CONTROLLER_ARGS", "").trim();
    if (!more.isEmpty()) {
      command.addAll(List.of(more.split("\\s+")));
    }
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().remove("KUBECONFIG");
    builder.environment().putAll(env);
    return new ControllerProcess(builder.start(), log, name);
  }

  /**
   * The controller JVM's options: {@code -Dlbipam.controller.jvm="..."} or env {@code
   * CONTROLLER_JVM} (space-separated) replaces the default, e.g. with the image's flags for a memory
   * benchmark.
   */
  static List<String> jvmOptions() {
    String configured = System.getProperty("lbipam.controller.jvm", System.getenv().getOrDefault("CONTROLLER_JVM", "")).trim();
    return configured.isEmpty() ? List.of("-Xmx256m", "-XX:TieredStopAtLevel=1") : List.of(configured.split("\\s+"));
  }

  /** The process id, e.g. to read its memory from /proc. */
  long pid() {
    return process.pid();
  }

  /**
   * Resident memory from /proc/PID/status in KiB: {@code VmHWM} (the peak) or {@code VmRSS} (now);
   * -1 when unreadable (not Linux, or the process is gone).
   */
  long memoryKiB(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
        if (line.startsWith(field + ":")) {
          return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }

  /** SIGKILL, no shutdown hook runs. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGSTOP: the JVM is frozen as by a long GC pause or a stopped VM; its sockets stay open. */
  void freeze() throws Exception {
    signal("STOP");
  }

  /** SIGCONT. */
  void resume() throws Exception {
    signal("CONT");
  }

  private void signal(String name) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
    if (kill.waitFor() != 0) {
      throw new IllegalStateException("kill -" + name + " failed");
    }
  }

  /** SIGTERM and wait: the clean shutdown path. */
  int stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
    return process.exitValue();
  }

  int exitCode() {
    return process.exitValue();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** The HTTP port, read from the log once the server is up. */
  int httpPort() throws InterruptedException {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
    while (Instant.now().isBefore(deadline)) {
      Matcher m = PORT.matcher(log());
      if (m.find()) {
        return Integer.parseInt(m.group(1));
      }
      if (!process.isAlive()) {
        throw new IllegalStateException("controller exited early:\n" + log());
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("controller did not report its port:\n" + log());
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      stop();
    }
  }
}
