package dev.lbipam.controller;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The controller's command line; the README lists every flag and the env vars some of them read. */
@Command(
    name = "lbipam-controller",
    mixinStandardHelpOptions = true,
    description = "LoadBalancer IP address manager; a drop-in for kube-vip-cloud-provider.")
public final class Main implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  @Option(names = "--kubeconfig", description = "kubeconfig file; default: $KUBECONFIG, ~/.kube/config, in-cluster")
  Path kubeconfig;

  @Option(names = "--backend", description = "IPAM backend (env LBIPAM_BACKEND; default configmap)")
  String backend;

  @Option(names = "--cluster-id", description = "this cluster's unique id; required by backends shared between clusters (env LBIPAM_CLUSTER_ID)")
  String clusterId;

  @Option(names = "--config-map-namespace", description = "pool ConfigMap namespace (env KUBEVIP_NAMESPACE; default kube-system)")
  String configMapNamespace;

  @Option(names = "--config-map-name", description = "pool ConfigMap name (env KUBEVIP_CONFIG_MAP; default kubevip)")
  String configMapName;

  @Option(names = "--enable-load-balancer-class", arity = "0..1", fallbackValue = "true",
      description = "handle only Services of our loadBalancerClass (env KUBEVIP_ENABLE_LOADBALANCERCLASS; default false)")
  String enableLoadBalancerClass;

  @Option(names = "--load-balancer-class-name",
      description = "the class (env KUBEVIP_CUSTOM_LOADBALANCERCLASS_NAME; default kube-vip.io/kube-vip-class)")
  String loadBalancerClassName;

  @Option(names = "--leader-elect", arity = "1", description = "use a Lease for leader election (default true)")
  Boolean leaderElect;

  @Option(names = "--lease-namespace", description = "Lease namespace (env LBIPAM_LEASE_NAMESPACE; default kube-system)")
  String leaseNamespace;

  @Option(names = "--lease-name", description = "Lease name (env LBIPAM_LEASE_NAME; default kube-vip-cloud-controller)")
  String leaseName;

  @Option(names = "--identity", description = "leader identity (default $POD_NAME or host name, plus a random suffix)")
  String identity;

  @Option(names = "--bind-address", description = "address for /metrics, /healthz, /readyz (env LBIPAM_BIND_ADDRESS; default 0.0.0.0)")
  String bindAddress;

  @Option(names = "--http-port", description = "port for /metrics, /healthz, /readyz (env LBIPAM_HTTP_PORT; default 8080; 0 = any)")
  Integer httpPort;

  @Option(names = "--workers", description = "reconcile workers (env LBIPAM_WORKERS; default 4)")
  Integer workers;

  @Option(names = "--lease-duration", description = "ISO-8601 duration, default PT15S")
  Duration leaseDuration;

  @Option(names = "--renew-deadline", description = "ISO-8601 duration, default PT10S")
  Duration renewDeadline;

  @Option(names = "--retry-period", description = "ISO-8601 duration, default PT2S")
  Duration retryPeriod;

  @Option(names = "--maintenance-interval",
      description = "how often to garbage-collect and check the backend, ISO-8601 (default PT30S)")
  Duration maintenanceInterval;

  @Option(names = "--backend-option", description = "key=value passed to the backend; repeatable")
  List<String> backendOptions;

  @Option(names = "--log-format", description = "logfmt (default) or json (env LBIPAM_LOG_FORMAT)")
  String logFormat;

  @Option(names = "--address-claims", arity = "1",
      description = "claim every address as a networking.k8s.io/v1 IPAddress before writing it (default true; needs Kubernetes 1.33+)")
  Boolean addressClaims;

  @Option(names = "--claim-gc-grace",
      description = "how long a claim no Service needs is kept before it is deleted, ISO-8601 (default PT60S)")
  Duration claimGcGrace;

  public static void main(String[] args) {
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    int code = new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  @Override
  public Integer call() throws Exception {
    String format = logFormat != null ? logFormat : System.getenv().getOrDefault("LBIPAM_LOG_FORMAT", "logfmt");
    if (!format.equals("logfmt") && !format.equals("json") && !format.isEmpty()) {
      LOG.error("invalid settings: --log-format / LBIPAM_LOG_FORMAT: \"{}\" is neither logfmt nor json", format);
      return 2;
    }
    LogLine.useJson(format.equals("json"));
    Settings settings;
    try {
      settings =
          Settings.resolve(
              new Settings.Flags(kubeconfig, backend, clusterId, configMapNamespace, configMapName,
                  enableLoadBalancerClass, loadBalancerClassName, leaderElect, leaseNamespace, leaseName, identity,
                  bindAddress, httpPort, workers, leaseDuration, renewDeadline, retryPeriod, maintenanceInterval,
                  backendOptions, addressClaims, claimGcGrace),
              System.getenv());
    } catch (Settings.InvalidSettingsException e) {
      LOG.error("invalid settings: {}", e.getMessage());
      return 2;
    }
    ControllerApp app = new ControllerApp(settings, () -> Runtime.getRuntime().halt(1));
    Runtime.getRuntime().addShutdownHook(new Thread(app::close, "shutdown"));
    try {
      app.start();
    } catch (RuntimeException e) {
      LOG.error("start failed: {}", e.getMessage(), e);
      app.close();
      return 1;
    }
    app.awaitStopped();
    return 0;
  }
}
