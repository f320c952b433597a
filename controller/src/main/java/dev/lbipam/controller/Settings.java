package dev.lbipam.controller;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything the controller is told at start, resolved once from flags and environment. Flags win
 * over env vars; an env var that is set but empty counts as unset, as in kube-vip.
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
    Duration claimGcGrace) {

  public static final String DEFAULT_CLASS = "kube-vip.io/kube-vip-class";

  public Settings {
    backendOptions = Map.copyOf(backendOptions);
  }

  /** Raw flag values; null means not given. */
  public record Flags(
      Path kubeconfig,
      String backend,
      String clusterId,
      String configMapNamespace,
      String configMapName,
      String enableLoadBalancerClass,
      String loadBalancerClassName,
      Boolean leaderElect,
      String leaseNamespace,
      String leaseName,
      String identity,
      String bindAddress,
      Integer httpPort,
      Integer workers,
      Duration leaseDuration,
      Duration renewDeadline,
      Duration retryPeriod,
      Duration maintenanceInterval,
      List<String> backendOptions,
      Boolean addressClaims,
      Duration claimGcGrace) {}

  /** Thrown when flags or env vars are unusable; the message says what to fix. */
  public static final class InvalidSettingsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InvalidSettingsException(String message) {
      super(message);
    }
  }

  /** Pure: resolves flags against an environment. Collects every problem before failing. */
  public static Settings resolve(Flags flags, Map<String, String> env) {
    List<String> problems = new ArrayList<>();
    String lbClassText = pick(flags.enableLoadBalancerClass(), env, "KUBEVIP_ENABLE_LOADBALANCERCLASS", "false");
    Boolean lbClassOnly = parseGoBool(lbClassText);
    if (lbClassOnly == null) {
      problems.add("KUBEVIP_ENABLE_LOADBALANCERCLASS / --enable-load-balancer-class: \"" + lbClassText
          + "\" is not a boolean (use true or false)");
    }
    Map<String, String> options = new LinkedHashMap<>();
    for (String option : flags.backendOptions() == null ? List.<String>of() : flags.backendOptions()) {
      int eq = option.indexOf('=');
      if (eq <= 0) {
        problems.add("--backend-option \"" + option + "\" is not key=value");
      } else {
        options.put(option.substring(0, eq), option.substring(eq + 1));
      }
    }
    int httpPort = flags.httpPort() != null ? flags.httpPort() : intEnv(env, "LBIPAM_HTTP_PORT", 8080, problems);
    int workers = flags.workers() != null ? flags.workers() : intEnv(env, "LBIPAM_WORKERS", 4, problems);
    if (workers < 1) {
      problems.add("--workers must be at least 1");
    }
    Duration lease = or(flags.leaseDuration(), Duration.ofSeconds(15));
    Duration renew = or(flags.renewDeadline(), Duration.ofSeconds(10));
    Duration retry = or(flags.retryPeriod(), Duration.ofSeconds(2));
    Duration maintenance = or(flags.maintenanceInterval(), Duration.ofSeconds(30));
    if (maintenance.isNegative() || maintenance.isZero()) {
      problems.add("--maintenance-interval must be positive");
    }
    Duration claimGrace = or(flags.claimGcGrace(), Duration.ofSeconds(60));
    if (claimGrace.isNegative()) {
      problems.add("--claim-gc-grace must not be negative");
    }
    if (renew.compareTo(lease) >= 0 || retry.compareTo(renew) >= 0) {
      problems.add("leader election needs retry-period < renew-deadline < lease-duration");
    }
    String podName = blankToNull(env.get("POD_NAME"));
    String identity =
        flags.identity() != null
            ? flags.identity()
            : (podName != null ? podName : hostName()) + "_" + java.util.UUID.randomUUID().toString().substring(0, 8);
    if (!problems.isEmpty()) {
      throw new InvalidSettingsException(String.join("; ", problems));
    }
    return new Settings(
        Optional.ofNullable(flags.kubeconfig()),
        pick(flags.backend(), env, "LBIPAM_BACKEND", "configmap"),
        pick(flags.clusterId(), env, "LBIPAM_CLUSTER_ID", ""),
        pick(flags.configMapNamespace(), env, "KUBEVIP_NAMESPACE", "kube-system"),
        pick(flags.configMapName(), env, "KUBEVIP_CONFIG_MAP", "kubevip"),
        lbClassOnly,
        pick(flags.loadBalancerClassName(), env, "KUBEVIP_CUSTOM_LOADBALANCERCLASS_NAME", DEFAULT_CLASS),
        flags.leaderElect() == null || flags.leaderElect(),
        pick(flags.leaseNamespace(), env, "LBIPAM_LEASE_NAMESPACE", "kube-system"),
        pick(flags.leaseName(), env, "LBIPAM_LEASE_NAME", "kube-vip-cloud-controller"),
        identity,
        pick(flags.bindAddress(), env, "LBIPAM_BIND_ADDRESS", "0.0.0.0"),
        httpPort,
        workers,
        lease,
        renew,
        retry,
        maintenance,
        options,
        flags.addressClaims() == null || flags.addressClaims(),
        claimGrace);
  }

  private static String pick(String flag, Map<String, String> env, String envName, String fallback) {
    if (flag != null && !flag.isEmpty()) {
      return flag;
    }
    String fromEnv = blankToNull(env.get(envName));
    return fromEnv != null ? fromEnv : fallback;
  }

  private static int intEnv(Map<String, String> env, String name, int fallback, List<String> problems) {
    String text = blankToNull(env.get(name));
    if (text == null) {
      return fallback;
    }
    try {
      return Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      problems.add(name + ": \"" + text + "\" is not a number");
      return fallback;
    }
  }

  private static <T> T or(T value, T fallback) {
    return value != null ? value : fallback;
  }

  private static String blankToNull(String text) {
    return text == null || text.isEmpty() ? null : text;
  }

  private static String hostName() {
    String host = System.getenv("HOSTNAME");
    return host != null && !host.isEmpty() ? host : "lbipam";
  }

  /** Go's strconv.ParseBool, as kube-vip reads its boolean env vars; null when invalid. */
  static Boolean parseGoBool(String text) {
    return switch (text) {
      case "1", "t", "T", "TRUE", "true", "True" -> true;
      case "0", "f", "F", "FALSE", "false", "False" -> false;
      default -> null;
    };
  }
}
