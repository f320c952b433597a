package dev.lbipam.ipam.netbox;

import dev.lbipam.ipam.spi.KubeVipConventions;
import dev.lbipam.ipam.spi.ConfigProblem;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The NetBox-mode keys of the pool ConfigMap, parsed once. Pure; never throws.
 *
 * <ul>
 *   <li>{@code netbox-prefix-<namespace>}, {@code netbox-prefix-global}: prefixes, see {@link
 *       PoolRef};
 *   <li>{@code netbox-range-<namespace>}, {@code netbox-range-global}: IP ranges;
 *   <li>{@code interface-<namespace>}, {@code interface-global}: as in kube-vip.
 * </ul>
 *
 * <p><b>Selection:</b> a namespace that has a {@code netbox-prefix-<ns>} or {@code
 * netbox-range-<ns>} key uses its own pools (prefixes first, then ranges, each in written order)
 * and never the global ones; any other namespace uses {@code netbox-prefix-global} then {@code
 * netbox-range-global}. A bad entry is reported and skipped; the other entries of the key stay
 * usable. kube-vip's {@code cidr-*}, {@code range-*}, {@code allow-share-*}, {@code search-order}
 * and {@code skip-end-ips-in-cidr} keys are reported as ignored: NetBox mode neither shares an
 * address nor changes NetBox's allocation order.
 */
public record PoolConfig(Map<String, List<PoolRef>> pools, Map<String, String> interfaces, List<ConfigProblem> problems) {

  public static final String PREFIX_KEY = "netbox-prefix-";
  public static final String RANGE_KEY = "netbox-range-";
  public static final String GLOBAL = KubeVipConventions.GLOBAL;

  public PoolConfig {
    pools = Map.copyOf(pools);
    interfaces = Map.copyOf(interfaces);
    problems = List.copyOf(problems);
  }

  /** One usable pool reference and the key it came from. */
  public record Entry(String key, PoolRef ref) {
    @Override
    public String toString() {
      return key + ":" + ref;
    }
  }

  /**
   * The pools that apply to a namespace, in the order to try them, with the keys they came from.
   * {@code keys} is empty when no key applies; {@code problems} are those of the selected keys.
   */
  public record Selection(List<String> keys, List<Entry> entries, List<ConfigProblem> problems) {
    public Selection {
      keys = List.copyOf(keys);
      entries = List.copyOf(entries);
      problems = List.copyOf(problems);
    }
  }

  public static PoolConfig empty() {
    return parse(Map.of());
  }

  public static PoolConfig parse(Map<String, String> data) {
    Map<String, List<PoolRef>> pools = new LinkedHashMap<>();
    List<ConfigProblem> problems = new ArrayList<>();
    for (Map.Entry<String, String> e : new TreeMap<>(data).entrySet()) {
      String key = e.getKey();
      String value = e.getValue() == null ? "" : e.getValue();
      if (key.startsWith(PREFIX_KEY) || key.startsWith(RANGE_KEY)) {
        PoolRef.Kind kind = key.startsWith(PREFIX_KEY) ? PoolRef.Kind.PREFIX : PoolRef.Kind.RANGE;
        String scope = key.substring(kind == PoolRef.Kind.PREFIX ? PREFIX_KEY.length() : RANGE_KEY.length());
        if (scope.isEmpty()) {
          problems.add(new ConfigProblem(key, value, "no namespace after the prefix; use " + key + "global or " + key + "<namespace>"));
          continue;
        }
        List<PoolRef> refs = new ArrayList<>();
        boolean any = false;
        for (String entry : KubeVipConventions.listEntries(value)) {
          if (entry.isEmpty()) {
            continue;
          }
          any = true;
          try {
            PoolRef ref = PoolRef.parse(kind, entry);
            if (!refs.contains(ref)) {
              refs.add(ref);
            }
          } catch (PoolRef.PoolRefException ex) {
            problems.add(new ConfigProblem(key, value, ex.getMessage()));
          }
        }
        if (!any) {
          problems.add(new ConfigProblem(key, value, "no " + kind.word() + " given"));
        }
        pools.put(key, List.copyOf(refs));
      } else if (key.startsWith("cidr-") || key.startsWith("range-")) {
        problems.add(new ConfigProblem(key, value,
            "ignored by the netbox backend; use netbox-prefix-<namespace|global> or netbox-range-<namespace|global>"));
      } else if (key.startsWith("allow-share-")) {
        problems.add(new ConfigProblem(key, value,
            "ignored by the netbox backend: every Service gets an address of its own (NetBox records one owner per address)"));
      } else if (key.equals("search-order") || key.equals("skip-end-ips-in-cidr")) {
        problems.add(new ConfigProblem(key, value,
            "ignored by the netbox backend: NetBox hands out the lowest free address of a pool, by its own rules"));
      }
    }
    return new PoolConfig(pools, KubeVipConventions.scopedValues(data, KubeVipConventions.INTERFACE_KEY), problems);
  }

  public Selection select(String namespace) {
    List<String> own = List.of(PREFIX_KEY + namespace, RANGE_KEY + namespace);
    List<String> keys = own.stream().filter(pools::containsKey).toList();
    if (keys.isEmpty()) {
      keys = List.of(PREFIX_KEY + GLOBAL, RANGE_KEY + GLOBAL).stream().filter(pools::containsKey).toList();
    }
    List<Entry> entries = new ArrayList<>();
    for (String key : keys) {
      for (PoolRef ref : pools.get(key)) {
        entries.add(new Entry(key, ref));
      }
    }
    List<String> selected = keys;
    List<ConfigProblem> selectedProblems =
        problems.stream().filter(p -> selected.contains(p.key()) || ignoredFor(p.key(), namespace)).toList();
    return new Selection(keys, entries, selectedProblems);
  }

  /** Whether kube-vip would apply this key, which NetBox mode ignores, to a Service of the namespace. */
  private static boolean ignoredFor(String key, String namespace) {
    for (String prefix : List.of("cidr-", "range-", "allow-share-")) {
      if (key.equals(prefix + namespace) || key.equals(prefix + GLOBAL)) {
        return true;
      }
    }
    return key.equals("search-order") || key.equals("skip-end-ips-in-cidr");
  }

  /** Every usable entry of every key, for finding the pool a static address lies in. */
  public List<Entry> allEntries() {
    List<Entry> all = new ArrayList<>();
    pools.forEach((key, refs) -> refs.forEach(ref -> all.add(new Entry(key, ref))));
    return all;
  }

  public Optional<String> serviceInterface(String namespace) {
    return KubeVipConventions.forNamespace(interfaces, namespace);
  }
}
