package dev.lbipam.controller;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything the controller is told at start, resolved once from the flags ({@link Flags}, where each
 * is declared with its env var and default) and checked.
 */
public record Settings(
    Optional<Path> kubeconfig,
    String backend,
    String clusterId,
    String configMapNamespace,
    String configMapName,
    boolean loadBalancerClassOnly,
    String loadBalancerClassName,
    boolean leaderElect,
    String leaseNamespace,
    String leaseName,
    String identity,
    String bindAddress,
    int httpPort,
    int workers,
    Duration leaseDuration,
    Duration renewDeadline,
    Duration retryPeriod,
    Duration maintenanceInterval,
    Map<String, String> backendOptions,
    boolean addressClaims,
    Duration claimGcGrace,
    boolean jsonLogs) {

  public static final String DEFAULT_CLASS = "kube-vip.io/kube-vip-class";

  public Settings {
    backendOptions = Map.copyOf(backendOptions);
  }

  /** Thrown when flags or env vars are unusable; the message says what to fix. */
  public static final class InvalidSettingsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InvalidSettingsException(String message) {
      super(message);
    }
  }

  /** Parses a command line against an environment (flags win; see {@link Flags}) and checks it. */
  public static Settings parse(Map<String, String> env, String... args) {
    Flags flags = new Flags();
    try {
      Flags.commandLine(flags, env).parseArgs(args);
    } catch (picocli.CommandLine.ParameterException e) {
      throw new InvalidSettingsException(e.getMessage());
    }
    return from(flags, env);
  }

  /** Checks and converts parsed flags. Collects every problem before failing. */
  static Settings from(Flags flags, Map<String, String> env) {
    List<String> problems = new ArrayList<>();
    Boolean lbClassOnly = dev.lbipam.ipam.spi.KubeVipConventions.parseBool(flags.enableLoadBalancerClass).orElse(null);
    if (lbClassOnly == null) {
      problems.add(flags.label("--enable-load-balancer-class") + ": \"" + flags.enableLoadBalancerClass
          + "\" is not a boolean (use true or false)");
    }
    Map<String, String> options = new LinkedHashMap<>();
    for (String option : flags.backendOptions) {
      int eq = option.indexOf('=');
      if (eq <= 0) {
        problems.add("--backend-option \"" + option + "\" is not key=value");
      } else {
        options.put(option.substring(0, eq), option.substring(eq + 1));
      }
    }
    Integer httpPort = number(flags.httpPort, flags.label("--http-port"), problems);
    Integer workers = number(flags.workers, flags.label("--workers"), problems);
    if (workers != null && workers < 1) {
      problems.add("--workers must be at least 1");
    }
    if (flags.maintenanceInterval.isNegative() || flags.maintenanceInterval.isZero()) {
      problems.add("--maintenance-interval must be positive");
    }
    if (flags.claimGcGrace.isNegative()) {
      problems.add("--claim-gc-grace must not be negative");
    }
    if (flags.renewDeadline.compareTo(flags.leaseDuration) >= 0 || flags.retryPeriod.compareTo(flags.renewDeadline) >= 0) {
      problems.add("leader election needs retry-period < renew-deadline < lease-duration");
    }
    if (!flags.logFormat.equals("logfmt") && !flags.logFormat.equals("json")) {
      problems.add(flags.label("--log-format") + ": \"" + flags.logFormat + "\" is neither logfmt nor json");
    }
    String podName = env.get("POD_NAME");
    String identity =
        flags.identity != null
            ? flags.identity
            : (podName != null && !podName.isEmpty() ? podName : hostName(env)) + "_"
                + java.util.UUID.randomUUID().toString().substring(0, 8);
    if (!problems.isEmpty()) {
      throw new InvalidSettingsException(String.join("; ", problems));
    }
    return new Settings(
        Optional.ofNullable(flags.kubeconfig),
        flags.backend,
        flags.clusterId,
        flags.configMapNamespace,
        flags.configMapName,
        lbClassOnly,
        flags.loadBalancerClassName,
        flags.leaderElect,
        flags.leaseNamespace,
        flags.leaseName,
        identity,
        flags.bindAddress,
        httpPort,
        workers,
        flags.leaseDuration,
        flags.renewDeadline,
        flags.retryPeriod,
        flags.maintenanceInterval,
        options,
        flags.addressClaims,
        flags.claimGcGrace,
        flags.logFormat.equals("json"));
  }

  private static Integer number(String text, String label, List<String> problems) {
    try {
      return Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      problems.add(label + ": \"" + text + "\" is not a number");
      return null;
    }
  }

  private static String hostName(Map<String, String> env) {
    String host = env.get("HOSTNAME");
    return host != null && !host.isEmpty() ? host : "lbipam";
  }
}
