package dev.lbipam.controller;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Every flag, declared once: its name, the environment variable it falls back to (picocli's
 * {@code descriptionKey}), its default and its help. An environment variable that is set but empty
 * counts as unset, as in kube-vip. {@link Settings#from} checks and converts what was given.
 *
 * <p>Values that can be wrong in more than one way at once are kept as text here, so that every
 * problem is reported together rather than the first one only.
 */
final class Flags {
  @Spec CommandSpec spec;

  @Option(names = "--kubeconfig", description = "kubeconfig file; default: $KUBECONFIG, ~/.kube/config, in-cluster")
  Path kubeconfig;

  @Option(names = "--backend", descriptionKey = "LBIPAM_BACKEND", defaultValue = "configmap",
      description = "IPAM backend: configmap, redis or netbox (env LBIPAM_BACKEND; default ${DEFAULT-VALUE})")
  String backend;

  @Option(names = "--cluster-id", descriptionKey = "LBIPAM_CLUSTER_ID", defaultValue = "",
      description = "this cluster's unique id; required by backends shared between clusters (env LBIPAM_CLUSTER_ID)")
  String clusterId;

  @Option(names = "--config-map-namespace", descriptionKey = "KUBEVIP_NAMESPACE", defaultValue = "kube-system",
      description = "pool ConfigMap namespace (env KUBEVIP_NAMESPACE; default ${DEFAULT-VALUE})")
  String configMapNamespace;

  @Option(names = "--config-map-name", descriptionKey = "KUBEVIP_CONFIG_MAP", defaultValue = "kubevip",
      description = "pool ConfigMap name (env KUBEVIP_CONFIG_MAP; default ${DEFAULT-VALUE})")
  String configMapName;

  @Option(names = "--enable-load-balancer-class", arity = "0..1", fallbackValue = "true",
      descriptionKey = "KUBEVIP_ENABLE_LOADBALANCERCLASS", defaultValue = "false",
      description = "handle only Services of our loadBalancerClass; Go boolean syntax (env KUBEVIP_ENABLE_LOADBALANCERCLASS; default false)")
  String enableLoadBalancerClass;

  @Option(names = "--load-balancer-class-name", descriptionKey = "KUBEVIP_CUSTOM_LOADBALANCERCLASS_NAME",
      defaultValue = Settings.DEFAULT_CLASS,
      description = "the class (env KUBEVIP_CUSTOM_LOADBALANCERCLASS_NAME; default ${DEFAULT-VALUE})")
  String loadBalancerClassName;

  @Option(names = "--leader-elect", arity = "1", defaultValue = "true",
      description = "use a Lease for leader election (default ${DEFAULT-VALUE})")
  boolean leaderElect;

  @Option(names = "--lease-namespace", descriptionKey = "LBIPAM_LEASE_NAMESPACE", defaultValue = "kube-system",
      description = "Lease namespace (env LBIPAM_LEASE_NAMESPACE; default ${DEFAULT-VALUE})")
  String leaseNamespace;

  @Option(names = "--lease-name", descriptionKey = "LBIPAM_LEASE_NAME", defaultValue = "kube-vip-cloud-controller",
      description = "Lease name (env LBIPAM_LEASE_NAME; default ${DEFAULT-VALUE})")
  String leaseName;

  @Option(names = "--identity", description = "leader identity (default $POD_NAME or host name, plus a random suffix)")
  String identity;

  @Option(names = "--bind-address", descriptionKey = "LBIPAM_BIND_ADDRESS", defaultValue = "0.0.0.0",
      description = "address for /metrics, /healthz, /readyz (env LBIPAM_BIND_ADDRESS; default ${DEFAULT-VALUE})")
  String bindAddress;

  @Option(names = "--http-port", descriptionKey = "LBIPAM_HTTP_PORT", defaultValue = "8080",
      description = "port for /metrics, /healthz, /readyz (env LBIPAM_HTTP_PORT; default ${DEFAULT-VALUE}; 0 = any)")
  String httpPort;

  @Option(names = "--workers", descriptionKey = "LBIPAM_WORKERS", defaultValue = "4",
      description = "reconcile workers (env LBIPAM_WORKERS; default ${DEFAULT-VALUE})")
  String workers;

  @Option(names = "--lease-duration", defaultValue = "PT15S", description = "ISO-8601 duration, default ${DEFAULT-VALUE}")
  Duration leaseDuration;

  @Option(names = "--renew-deadline", defaultValue = "PT10S", description = "ISO-8601 duration, default ${DEFAULT-VALUE}")
  Duration renewDeadline;

  @Option(names = "--retry-period", defaultValue = "PT2S", description = "ISO-8601 duration, default ${DEFAULT-VALUE}")
  Duration retryPeriod;

  @Option(names = "--maintenance-interval", defaultValue = "PT30S",
      description = "how often to garbage-collect and check the backend, ISO-8601 (default ${DEFAULT-VALUE})")
  Duration maintenanceInterval;

  @Option(names = "--backend-option", description = "key=value passed to the backend; repeatable")
  List<String> backendOptions = List.of();

  @Option(names = "--log-format", descriptionKey = "LBIPAM_LOG_FORMAT", defaultValue = "logfmt",
      description = "logfmt or json (env LBIPAM_LOG_FORMAT; default ${DEFAULT-VALUE})")
  String logFormat;

  @Option(names = "--address-claims", arity = "1", defaultValue = "true",
      description = "claim every address as a lbipam.dev AddressClaim before writing it (default ${DEFAULT-VALUE}; needs manifest/base/crd.yaml)")
  boolean addressClaims;

  @Option(names = "--claim-gc-grace", defaultValue = "PT60S",
      description = "how long a claim no Service needs is kept before it is deleted, ISO-8601 (default ${DEFAULT-VALUE})")
  Duration claimGcGrace;

  /** A command line over these flags whose defaults come from {@code env} first. */
  static CommandLine commandLine(Object command, Map<String, String> env) {
    return new CommandLine(command).setDefaultValueProvider(fromEnvironment(env));
  }

  /** The environment variable named by an option's descriptionKey, unless unset or empty. */
  static IDefaultValueProvider fromEnvironment(Map<String, String> env) {
    return argument -> {
      String name = argument.descriptionKey();
      if (name == null || name.isEmpty()) {
        return null;
      }
      String value = env.get(name);
      return value == null || value.isEmpty() ? null : value;
    };
  }

  /** "--workers / LBIPAM_WORKERS": how a problem names the option it is about. */
  String label(String option) {
    OptionSpec spec = this.spec.findOption(option);
    String env = spec == null ? "" : spec.descriptionKey();
    return env == null || env.isEmpty() ? option : option + " / " + env;
  }
}
