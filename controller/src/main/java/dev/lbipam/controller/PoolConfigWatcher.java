package dev.lbipam.controller;

import dev.lbipam.ipam.spi.ConfigProblem;
import dev.lbipam.ipam.spi.IpamBackend;
import io.kubernetes.client.extended.controller.reconciler.Reconciler;
import io.kubernetes.client.extended.controller.reconciler.Request;
import io.kubernetes.client.extended.controller.reconciler.Result;
import io.kubernetes.client.informer.cache.Lister;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the pool ConfigMap to the backend whenever it changes (its own controller, one worker),
 * reports every problem by key and value, and retries the waiting Services.
 */
final class PoolConfigWatcher implements Reconciler {
  private static final Logger LOG = LoggerFactory.getLogger(PoolConfigWatcher.class);
  private final IpamBackend backend;
  private final Lister<V1ConfigMap> configMaps;
  private final String namespace;
  private final String name;
  private final Metrics metrics;
  private final WaitingServices waiting;
  private volatile boolean present = true;

  PoolConfigWatcher(IpamBackend backend, Lister<V1ConfigMap> configMaps, String namespace, String name, Metrics metrics,
      WaitingServices waiting) {
    this.backend = backend;
    this.configMaps = configMaps;
    this.namespace = namespace;
    this.name = name;
    this.metrics = metrics;
    this.waiting = waiting;
  }

  @Override
  public Result reconcile(Request request) {
    apply();
    waiting.retryAll();
    return new Result(false);
  }

  /** Whether the ConfigMap existed when last applied. */
  boolean present() {
    return present;
  }

  String describe() {
    return namespace + "/" + name;
  }

  void apply() {
    V1ConfigMap configMap = configMaps.namespace(namespace).get(name);
    Optional<Map<String, String>> data =
        Optional.ofNullable(configMap).map(cm -> cm.getData() == null ? Map.<String, String>of() : cm.getData());
    present = data.isPresent();
    if (data.isEmpty()) {
      LOG.warn("pool configmap missing namespace={} name={}", namespace, name);
    }
    List<ConfigProblem> problems = backend.configure(data);
    metrics.configProblems(problems);
    LOG.info("pool configuration applied configmap={} resourceVersion={} problems={}", describe(),
        configMap == null ? "-" : configMap.getMetadata().getResourceVersion(), problems.size());
    for (ConfigProblem problem : problems) {
      LOG.warn("invalid pool configuration configmap={} key={} value=\"{}\" problem=\"{}\"", describe(),
          LogText.cap(problem.key()), LogText.cap(problem.value()), LogText.cap(problem.problem()));
    }
  }
}
