package dev.lbipam.ipam.spi;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * What the host gives a backend at creation.
 *
 * @param clusterId this cluster's id, part of every {@link OwnerRef}; backends with shared external
 *     state must refuse a default or empty id
 * @param options backend options ({@code --backend-option key=value}); never holds secrets
 * @param secrets reads a named secret (e.g. from a mounted file or an env var); values must never
 *     be logged
 * @param maintenanceInterval how often the host calls {@link IpamBackend#maintain()} and its
 *     restore and GC hooks; backends derive waiting periods from it
 */
public record BackendContext(
    String clusterId,
    Map<String, String> options,
    Function<String, Optional<String>> secrets,
    java.time.Duration maintenanceInterval) {
  public BackendContext {
    Objects.requireNonNull(clusterId, "clusterId");
    options = Map.copyOf(options);
    Objects.requireNonNull(secrets, "secrets");
    Objects.requireNonNull(maintenanceInterval, "maintenanceInterval");
  }

  /** With the host's default maintenance interval of 30 seconds. */
  public BackendContext(String clusterId, Map<String, String> options, Function<String, Optional<String>> secrets) {
    this(clusterId, options, secrets, java.time.Duration.ofSeconds(30));
  }

  public Optional<String> option(String key) {
    return Optional.ofNullable(options.get(key));
  }
}
