package dev.lbipam.ipam.redis;

import dev.lbipam.ipam.spi.KubeVipConventions;
import dev.lbipam.ipam.spi.BackendContext;
import dev.lbipam.ipam.spi.IpamException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Redis backend options, from {@code --backend-option key=value}; credentials only from secrets.
 * {@link #toString()} never shows the password.
 */
public record RedisSettings(
    String clusterId,
    URI url,
    String keyPrefix,
    String addressSpace,
    Optional<String> sentinelMaster,
    List<String> sentinels,
    Optional<String> username,
    Optional<String> password,
    Optional<String> sentinelPassword,
    Optional<Path> tlsCaFile,
    Duration timeout,
    Duration gcGrace,
    Duration quarantine) {

  static final List<String> KNOWN_OPTIONS =
      List.of("url", "key-prefix", "address-space", "timeout", "gc-grace", "quarantine", "sentinels", "sentinel-master",
          "tls-ca-file");
  public static final String SECRET_USERNAME = "redis-username";
  public static final String SECRET_PASSWORD = "redis-password";
  public static final String SECRET_SENTINEL_PASSWORD = "redis-sentinel-password";

  public RedisSettings {
    sentinels = List.copyOf(sentinels);
  }

  /** Reads and validates every option, reporting all problems at once. */
  public static RedisSettings from(BackendContext context) {
    List<String> problems = new ArrayList<>();
    for (String key : context.options().keySet()) {
      if (!KNOWN_OPTIONS.contains(key)) {
        problems.add("unknown option \"" + key + "\" (known: " + KNOWN_OPTIONS + ")");
      }
    }
    String clusterId = context.clusterId().trim();
    if (clusterId.isEmpty()) {
      problems.add("redis mode needs a unique cluster id: set --cluster-id or LBIPAM_CLUSTER_ID");
    } else if (!clusterId.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
      problems.add("cluster id \"" + clusterId + "\" must be 1-63 of [A-Za-z0-9._-]");
    }
    URI url = null;
    String urlText = context.option("url").orElse("");
    if (urlText.isEmpty()) {
      problems.add("set --backend-option url=redis://host:6379 (or rediss:// for TLS)");
    } else {
      try {
        url = URI.create(urlText);
        if (!"redis".equals(url.getScheme()) && !"rediss".equals(url.getScheme())) {
          problems.add("url must start with redis:// or rediss://");
        }
        if (url.getUserInfo() != null) {
          problems.add("url must not carry credentials; put them in the redis-username/redis-password secrets");
          url = URI.create(url.getScheme() + "://" + url.getHost() + (url.getPort() > 0 ? ":" + url.getPort() : ""));
        }
      } catch (IllegalArgumentException e) {
        problems.add("url is not a URI");
      }
    }
    String prefix = context.option("key-prefix").orElse("lbipam");
    String space = context.option("address-space").orElse("default");
    if (space.contains("{") || space.contains("}") || prefix.contains("{") || prefix.contains("}")) {
      problems.add("key-prefix and address-space must not contain braces (they form the Redis Cluster hash tag)");
    }
    Duration timeout = duration(context, "timeout", Duration.ofSeconds(2), problems);
    Duration grace = duration(context, "gc-grace", Duration.ofMinutes(5), problems);
    // Other clusters notice a changed data set within one maintenance round and re-assert theirs,
    // unless their circuit breaker opened during the loss: then only once it lets calls through again
    // (RedisDataLossIT saw a cluster 5 s late). Twice each, for margin.
    Duration quarantine = duration(context, "quarantine",
        context.maintenanceInterval().plus(ClaimStore.CIRCUIT_OPEN).multipliedBy(2), problems);
    List<String> sentinels = new ArrayList<>();
    context.option("sentinels").ifPresent(s -> {
      for (String entry : KubeVipConventions.listEntries(s)) {
        if (!entry.isEmpty()) {
          sentinels.add(entry);
        }
      }
    });
    Optional<String> master = context.option("sentinel-master").filter(s -> !s.isBlank());
    if (master.isPresent() != !sentinels.isEmpty()) {
      problems.add("sentinel-master and sentinels go together");
    }
    if (!problems.isEmpty()) {
      throw new IpamException("redis backend: " + String.join("; ", problems), false);
    }
    return new RedisSettings(
        clusterId,
        url,
        prefix,
        space,
        master,
        sentinels,
        context.secrets().apply(SECRET_USERNAME),
        context.secrets().apply(SECRET_PASSWORD),
        context.secrets().apply(SECRET_SENTINEL_PASSWORD),
        context.option("tls-ca-file").map(Path::of),
        timeout,
        grace,
        quarantine);
  }

  private static Duration duration(BackendContext context, String key, Duration fallback, List<String> problems) {
    Optional<String> text = context.option(key);
    if (text.isEmpty()) {
      return fallback;
    }
    try {
      return Duration.parse(text.get());
    } catch (DateTimeParseException e) {
      problems.add(key + " \"" + text.get() + "\" is not an ISO-8601 duration such as PT2S");
      return fallback;
    }
  }

  public boolean tls() {
    return "rediss".equals(url.getScheme());
  }

  @Override
  public String toString() {
    return "RedisSettings[cluster=" + clusterId + ", url=" + url + ", keyPrefix=" + keyPrefix + ", space=" + addressSpace
        + ", sentinelMaster=" + sentinelMaster.orElse("-") + ", user=" + username.orElse("-")
        + ", password=" + (password.isPresent() ? "***" : "-") + ", tls=" + tls() + ", timeout=" + timeout
        + ", gcGrace=" + gcGrace + ", quarantine=" + quarantine + "]";
  }
}
