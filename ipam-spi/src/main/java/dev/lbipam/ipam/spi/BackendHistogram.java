package dev.lbipam.ipam.spi;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One histogram a backend wants exported (call latency). The host exports it as
 * {@code lbipam_backend_<name>_bucket/_sum/_count} with the backend's labels plus {@code backend}.
 *
 * @param upperBounds the buckets' upper bounds, ascending, without +Inf
 * @param cumulativeCounts observations at or below each bound (same length as upperBounds)
 * @param count all observations (the +Inf bucket)
 */
public record BackendHistogram(String name, String help, Map<String, String> labels, List<Double> upperBounds,
    List<Long> cumulativeCounts, double sum, long count) {
  public BackendHistogram {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(help, "help");
    labels = Map.copyOf(labels);
    upperBounds = List.copyOf(upperBounds);
    cumulativeCounts = List.copyOf(cumulativeCounts);
    if (upperBounds.size() != cumulativeCounts.size()) {
      throw new IllegalArgumentException("bounds and counts differ in length");
    }
  }
}
