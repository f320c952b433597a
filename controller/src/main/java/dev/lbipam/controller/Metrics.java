package dev.lbipam.controller;

import dev.lbipam.ipam.spi.BackendHistogram;
import dev.lbipam.ipam.spi.BackendMetric;
import dev.lbipam.ipam.spi.IpamBackend;
import dev.lbipam.ipam.spi.PoolStats;
import io.prometheus.client.Collector;
import io.prometheus.client.Collector.MetricFamilySamples;
import io.prometheus.client.Collector.Type;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.CounterMetricFamily;
import io.prometheus.client.Gauge;
import io.prometheus.client.GaugeMetricFamily;
import io.prometheus.client.Histogram;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntSupplier;

/** The controller's own Prometheus metrics, in a registry it owns. */
public final class Metrics {
  /** The jar's Implementation-Version, or "dev" when run from classes. */
  static String version() {
    String version = Metrics.class.getPackage().getImplementationVersion();
    return version == null ? "dev" : version;
  }

  final Counter allocations;
  final Counter failures;
  final Histogram reconcileSeconds;
  final Gauge leader;
  final Counter claimConflicts;
  final Counter claimsReleased;
  final Counter cacheBehind;
  final Counter eventsDropped;
  final Gauge claims;
  final Gauge configProblems;

  /** Counts a failed allocation; the reason label is Prometheus style, e.g. {@code pool_exhausted}. */
  void failed(dev.lbipam.ipam.spi.RejectReason reason) {
    failures.labels(reason.name().toLowerCase(java.util.Locale.ROOT)).inc();
  }

  /** The problems of the pool configuration just applied, one series per key that has any. */
  void configProblems(List<dev.lbipam.ipam.spi.ConfigProblem> problems) {
    configProblems.clear();
    for (dev.lbipam.ipam.spi.ConfigProblem problem : problems) {
      configProblems.labels(LogText.cap(problem.key())).inc();
    }
  }

  public Metrics(CollectorRegistry registry, String backendName, IpamBackend backend, IntSupplier waiting) {
    allocations =
        Counter.build("lbipam_allocations_total", "Addresses allocated to Services, by pool.")
            .labelNames("pool")
            .register(registry);
    failures =
        Counter.build("lbipam_allocation_failures_total", "Failed allocations, by reason.")
            .labelNames("reason")
            .register(registry);
    reconcileSeconds =
        Histogram.build("lbipam_reconcile_duration_seconds", "Time to reconcile one Service.")
            .buckets(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
            .register(registry);
    leader = Gauge.build("lbipam_leader", "1 while this replica holds the leader Lease.").register(registry);
    Gauge.build("lbipam_build_info", "Always 1; the labels say which build runs.")
        .labelNames("version", "java_version", "backend")
        .register(registry)
        .labels(version(), System.getProperty("java.version"), backendName)
        .set(1);
    claimConflicts =
        Counter.build("lbipam_claim_conflicts_total",
                "Addresses the backend offered that the API server showed claimed by another Service.")
            .register(registry);
    claimsReleased =
        Counter.build("lbipam_claims_released_total", "Address claims (AddressClaim objects) released, by reason.")
            .labelNames("reason")
            .register(registry);
    cacheBehind =
        Counter.build("lbipam_reconciles_deferred_total",
                "Reconciles put off because the Service cache did not show this controller's last write yet.")
            .register(registry);
    eventsDropped =
        Counter.build("lbipam_events_dropped_total",
                "Normal Events dropped because " + EventBacklog.DEFAULT_LIMIT + " were already waiting to be written (Warnings are never dropped).")
            .register(registry);
    claims = Gauge.build("lbipam_claims", "Address claims (AddressClaim objects) known.").register(registry);
    configProblems =
        Gauge.build("lbipam_config_problems", "Problems in the pool ConfigMap, by key (0 when none).")
            .labelNames("key")
            .register(registry);
    new Collector() {
      @Override
      public List<MetricFamilySamples> collect() {
        GaugeMetricFamily size =
            new GaugeMetricFamily("lbipam_pool_addresses", "Allocatable addresses in a pool.", List.of("pool", "family"));
        GaugeMetricFamily inUse =
            new GaugeMetricFamily("lbipam_pool_addresses_in_use", "Addresses in use in a pool.", List.of("pool", "family"));
        for (PoolStats stats : backend.poolStats()) {
          List<String> labels = List.of(stats.pool(), stats.family().kubernetesName());
          size.addMetric(labels, stats.size().doubleValue());
          inUse.addMetric(labels, stats.inUse());
        }
        List<MetricFamilySamples> all = new ArrayList<>();
        all.add(size);
        all.add(inUse);
        all.add(new GaugeMetricFamily("lbipam_services_waiting", "Services waiting for an address.", waiting.getAsInt()));
        all.add(
            new GaugeMetricFamily(
                "lbipam_backend_up", "1 when the IPAM backend reports itself healthy.", backend.health().available() ? 1 : 0));
        Map<String, MetricFamilySamples> byName = new LinkedHashMap<>();
        for (BackendMetric metric : backend.metrics()) {
          String name = "lbipam_backend_" + metric.name();
          TreeMap<String, String> labels = new TreeMap<>(metric.labels());
          labels.put("backend", backendName);
          List<String> labelNames = new ArrayList<>(labels.keySet());
          List<String> labelValues = labelNames.stream().map(labels::get).toList();
          MetricFamilySamples family =
              byName.computeIfAbsent(
                  name,
                  n -> metric.counter()
                      ? new CounterMetricFamily(n, metric.help(), labelNames)
                      : new GaugeMetricFamily(n, metric.help(), labelNames));
          if (family instanceof CounterMetricFamily counter) {
            counter.addMetric(labelValues, metric.value());
          } else {
            ((GaugeMetricFamily) family).addMetric(labelValues, metric.value());
          }
        }
        all.addAll(byName.values());
        all.addAll(histograms(backend.histograms(), backendName));
        return all;
      }
    }.register(registry);
  }

  /** Backend histograms in the text format's shape: cumulative _bucket samples with le, then _count and _sum. */
  static List<MetricFamilySamples> histograms(List<BackendHistogram> histograms, String backendName) {
    Map<String, MetricFamilySamples> byName = new LinkedHashMap<>();
    for (BackendHistogram histogram : histograms) {
      String name = "lbipam_backend_" + histogram.name();
      TreeMap<String, String> labels = new TreeMap<>(histogram.labels());
      labels.put("backend", backendName);
      List<String> names = new ArrayList<>(labels.keySet());
      List<String> values = names.stream().map(labels::get).toList();
      List<String> bucketNames = new ArrayList<>(names);
      bucketNames.add("le");
      List<MetricFamilySamples.Sample> samples =
          byName.computeIfAbsent(name, n -> new MetricFamilySamples(n, Type.HISTOGRAM, histogram.help(), new ArrayList<>()))
              .samples;
      for (int i = 0; i < histogram.upperBounds().size(); i++) {
        List<String> bucketValues = new ArrayList<>(values);
        bucketValues.add(Collector.doubleToGoString(histogram.upperBounds().get(i)));
        samples.add(new MetricFamilySamples.Sample(name + "_bucket", bucketNames, bucketValues, histogram.cumulativeCounts().get(i)));
      }
      List<String> infValues = new ArrayList<>(values);
      infValues.add("+Inf");
      samples.add(new MetricFamilySamples.Sample(name + "_bucket", bucketNames, infValues, histogram.count()));
      samples.add(new MetricFamilySamples.Sample(name + "_count", names, values, histogram.count()));
      samples.add(new MetricFamilySamples.Sample(name + "_sum", names, values, histogram.sum()));
    }
    return new ArrayList<>(byName.values());
  }
}
