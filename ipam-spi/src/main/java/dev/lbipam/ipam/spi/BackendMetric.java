package dev.lbipam.ipam.spi;

import java.util.Map;
import java.util.Objects;

/**
 * One sample a backend wants exported (call latency sums, error counts, circuit state). The host
 * exports each as {@code lbipam_backend_<name>} with the backend's labels plus {@code backend}.
 *
 * @param counter true for a monotonically growing count (exported as a counter), false for a gauge
 */
public record BackendMetric(String name, String help, boolean counter, Map<String, String> labels, double value) {
  public BackendMetric {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(help, "help");
    labels = Map.copyOf(labels);
  }
}
