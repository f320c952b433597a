package dev.lbipam.ipam.netbox;

import dev.lbipam.ipam.spi.PoolStats;
import dev.lbipam.ipam.spi.net.IpFamily;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Size and use of the configured NetBox pools, summed per pool key and family, as the metrics
 * {@code lbipam_pool_addresses} and {@code lbipam_pool_addresses_in_use} show them. Pure.
 */
final class PoolUsage {
  private PoolUsage() {}

  /** One configured pool and the address records NetBox counted inside it. */
  record Counted(String key, NetBoxPool pool, long records) {}

  static List<PoolStats> stats(List<Counted> pools) {
    Map<String, Map<IpFamily, BigInteger[]>> sums = new TreeMap<>();
    for (Counted counted : pools) {
      NetBoxPool pool = counted.pool();
      BigInteger size = pool.allocatableSize();
      // A populated range is full to NetBox; records on a prefix's reserved addresses are not extra use.
      BigInteger used = pool.markedPopulated() ? size : BigInteger.valueOf(counted.records()).min(size);
      BigInteger[] sum = sums.computeIfAbsent(counted.key(), k -> new TreeMap<>())
          .computeIfAbsent(pool.family(), f -> new BigInteger[] {BigInteger.ZERO, BigInteger.ZERO});
      sum[0] = sum[0].add(size);
      sum[1] = sum[1].add(used);
    }
    List<PoolStats> stats = new ArrayList<>();
    sums.forEach((key, byFamily) -> byFamily.forEach((family, sum) ->
        stats.add(new PoolStats(key, family, sum[0], sum[1].min(BigInteger.valueOf(Long.MAX_VALUE)).longValue()))));
    return List.copyOf(stats);
  }
}
