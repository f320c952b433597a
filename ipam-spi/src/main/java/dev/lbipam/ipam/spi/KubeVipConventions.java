package dev.lbipam.ipam.spi;

import dev.lbipam.ipam.spi.net.IpAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * kube-vip's textual conventions, in one place for the host and every backend: the DHCP
 * placeholder, Go's boolean syntax, comma lists, and the per-namespace-then-global lookup of
 * ConfigMap keys such as {@code interface-<ns>} and {@code allow-share-<ns>}. Pure.
 */
public final class KubeVipConventions {
  /** The scope of a ConfigMap key that applies to every namespace without its own. */
  public static final String GLOBAL = "global";
  /** A pool of exactly this value hands every Service the DHCP placeholder. */
  public static final String DHCP_POOL = "0.0.0.0/32";
  /** The address kube-vip writes for a Service whose real address comes from DHCP; never a real holding. */
  public static final IpAddress DHCP_PLACEHOLDER = IpAddress.parse("0.0.0.0");
  /** The ConfigMap key prefix naming the interface kube-vip announces a namespace's addresses on. */
  public static final String INTERFACE_KEY = "interface-";

  private KubeVipConventions() {}

  public static boolean isDhcpPlaceholder(IpAddress address) {
    return address.equals(DHCP_PLACEHOLDER);
  }

  /** Go's {@code strconv.ParseBool}, which kube-vip uses for its boolean keys and env vars. */
  public static Optional<Boolean> parseBool(String text) {
    return switch (text) {
      case "1", "t", "T", "TRUE", "true", "True" -> Optional.of(true);
      case "0", "f", "F", "FALSE", "false", "False" -> Optional.of(false);
      default -> Optional.empty();
    };
  }

  /** The entries of a comma-separated list, trimmed; empty entries are kept for the caller to judge. */
  public static List<String> listEntries(String value) {
    List<String> entries = new ArrayList<>();
    for (String part : value.split(",", -1)) {
      entries.add(part.trim());
    }
    return entries;
  }

  /** The non-empty values of the keys {@code <prefix><scope>}, by scope (a namespace or global). */
  public static Map<String, String> scopedValues(Map<String, String> data, String prefix) {
    Map<String, String> byScope = new LinkedHashMap<>();
    data.forEach((key, value) -> {
      if (key.startsWith(prefix) && value != null && !value.isEmpty()) {
        byScope.put(key.substring(prefix.length()), value);
      }
    });
    return byScope;
  }

  /** The namespace's own value, else the global one. */
  public static <T> Optional<T> forNamespace(Map<String, T> byScope, String namespace) {
    T own = byScope.get(namespace);
    return Optional.ofNullable(own != null ? own : byScope.get(GLOBAL));
  }
}
