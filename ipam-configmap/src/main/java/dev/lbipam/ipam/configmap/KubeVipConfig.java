package dev.lbipam.ipam.configmap;

import dev.lbipam.ipam.spi.KubeVipConventions;
import dev.lbipam.ipam.spi.ConfigProblem;
import dev.lbipam.ipam.spi.net.AddressFormatException;
import dev.lbipam.ipam.spi.net.IpFamily;
import dev.lbipam.ipam.spi.net.IpPrefix;
import dev.lbipam.ipam.spi.net.IpRange;
import dev.lbipam.ipam.spi.net.IpRangeSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * kube-vip-cloud-provider's ConfigMap, parsed once. Every problem is collected; a bad key only
 * affects the Services that select it.
 */
public record KubeVipConfig(
    Map<String, Pool> pools,
    Map<String, ConfigProblem> badPools,
    Map<String, Boolean> allowShare,
    Map<String, String> interfaces,
    boolean descending,
    boolean skipEnd,
    List<ConfigProblem> problems) {

  public static final String GLOBAL = KubeVipConventions.GLOBAL;

  public KubeVipConfig {
    pools = Map.copyOf(pools);
    badPools = Map.copyOf(badPools);
    allowShare = Map.copyOf(allowShare);
    interfaces = Map.copyOf(interfaces);
    problems = List.copyOf(problems);
  }

  public static KubeVipConfig empty() {
    return parse(Map.of());
  }

  /** Parses the ConfigMap data. Never throws. */
  public static KubeVipConfig parse(Map<String, String> data) {
    Map<String, String> sorted = new TreeMap<>(data);
    boolean descending = "desc".equals(sorted.get("search-order"));
    boolean skipEnd = "true".equals(sorted.get("skip-end-ips-in-cidr"));
    Map<String, Pool> pools = new LinkedHashMap<>();
    Map<String, ConfigProblem> badPools = new LinkedHashMap<>();
    Map<String, Boolean> allowShare = new LinkedHashMap<>();
    List<ConfigProblem> problems = new ArrayList<>();
    for (Map.Entry<String, String> entry : sorted.entrySet()) {
      String key = entry.getKey();
      String value = entry.getValue() == null ? "" : entry.getValue();
      if (key.startsWith("cidr-") || key.startsWith("range-")) {
        String scope = key.substring(key.indexOf('-') + 1);
        try {
          pools.put(key, parsePool(key, scope, value, skipEnd));
        } catch (AddressFormatException e) {
          ConfigProblem problem = new ConfigProblem(key, value, e.getMessage());
          badPools.put(key, problem);
          problems.add(problem);
        }
      } else if (key.startsWith("allow-share-")) {
        String trimmed = value.trim();
        Optional<Boolean> parsed = KubeVipConventions.parseBool(trimmed);
        if (parsed.isEmpty()) {
          problems.add(new ConfigProblem(key, value, "not a boolean; treated as false, as kube-vip does"));
        }
        allowShare.put(key.substring("allow-share-".length()), parsed.orElse(false));
      }
    }
    return new KubeVipConfig(pools, badPools, allowShare,
        KubeVipConventions.scopedValues(sorted, KubeVipConventions.INTERFACE_KEY), descending, skipEnd, problems);
  }

  /** The pool that applies to a namespace, in kube-vip's order; see {@link PoolSelection}. */
  public PoolSelection select(String namespace) {
    for (String key : List.of("cidr-" + namespace, "cidr-" + GLOBAL, "range-" + namespace, "range-" + GLOBAL)) {
      if (pools.containsKey(key)) {
        return new PoolSelection.Found(pools.get(key));
      }
      if (badPools.containsKey(key)) {
        return new PoolSelection.Invalid(badPools.get(key));
      }
    }
    return new PoolSelection.None();
  }

  /** {@code allow-share-<ns>} first, then {@code allow-share-global}; default false. */
  public boolean sharingAllowed(String namespace) {
    return KubeVipConventions.forNamespace(allowShare, namespace).orElse(false);
  }

  public Optional<String> serviceInterface(String namespace) {
    return KubeVipConventions.forNamespace(interfaces, namespace);
  }

  /** What {@link #select} found. */
  public sealed interface PoolSelection {
    record Found(Pool pool) implements PoolSelection {}

    record Invalid(ConfigProblem problem) implements PoolSelection {}

    record None() implements PoolSelection {}
  }

  static Pool parsePool(String key, String scope, String value, boolean skipEnd) {
    if (value.trim().equals(KubeVipConventions.DHCP_POOL)) {
      return new Pool(key, scope, PoolKind.CIDR, KubeVipConventions.DHCP_POOL, List.of(), true);
    }
    List<String> entries = KubeVipConventions.listEntries(value).stream().filter(e -> !e.isEmpty()).toList();
    if (entries.isEmpty()) {
      throw new AddressFormatException("pool is not specified");
    }
    PoolKind kind = value.contains("/") ? PoolKind.CIDR : PoolKind.RANGE;
    List<IpRange> ranges = new ArrayList<>();
    for (String entry : entries) {
      ranges.add(kind == PoolKind.CIDR ? IpPrefix.parse(entry).toRange() : IpRange.parse(entry));
    }
    IpRangeSet merged = IpRangeSet.of(ranges);
    List<IpRange> blocks = new ArrayList<>();
    List<String> canonical = new ArrayList<>();
    if (kind == PoolKind.CIDR) {
      for (IpPrefix prefix : merged.toPrefixes()) {
        canonical.add(prefix.toString());
        blocks.add(skipEnd ? skipEnds(prefix) : prefix.toRange());
      }
    } else {
      for (IpRange range : merged.ranges()) {
        canonical.add(range.toString());
        blocks.add(range);
      }
    }
    return new Pool(key, scope, kind, String.join(",", canonical), blocks, false);
  }

  /** Drops the first and last address of an IPv4 block; a /31 and a /32 keep theirs. */
  private static IpRange skipEnds(IpPrefix prefix) {
    IpRange range = prefix.toRange();
    if (prefix.family() != IpFamily.IPV4 || prefix.length() >= 31) {
      return range;
    }
    return new IpRange(range.first().plus(1), range.last().plus(-1));
  }
}
