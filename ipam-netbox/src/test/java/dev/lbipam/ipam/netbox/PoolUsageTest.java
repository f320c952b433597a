package dev.lbipam.ipam.netbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.ipam.spi.PoolStats;
import dev.lbipam.ipam.spi.net.IpFamily;
import dev.lbipam.ipam.spi.net.IpPrefix;
import dev.lbipam.ipam.spi.net.IpRange;
import java.math.BigInteger;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PoolUsageTest {

  private static NetBoxPool prefix(String cidr, boolean isPool) {
    IpPrefix prefix = IpPrefix.parse(cidr);
    return new NetBoxPool(PoolRef.Kind.PREFIX, 1, prefix.family(), Optional.empty(), prefix.length(), prefix.toRange(), isPool, false);
  }

  private static NetBoxPool range(String bounds, boolean populated) {
    IpRange range = IpRange.parse(bounds);
    return new NetBoxPool(PoolRef.Kind.RANGE, 2, range.family(), Optional.empty(), 24, range, false, populated);
  }

  static Stream<Arguments> sizes() {
    return Stream.of(
        Arguments.of("IPv4 /29 keeps network and broadcast", prefix("10.0.0.0/29", false), 6),
        Arguments.of("IPv4 /29 pool hands out all", prefix("10.0.0.0/29", true), 8),
        Arguments.of("IPv4 /31 point-to-point", prefix("10.0.0.0/31", false), 2),
        Arguments.of("IPv4 /32", prefix("10.0.0.1/32", false), 1),
        Arguments.of("IPv6 /120 keeps the subnet-router anycast", prefix("2001:db8::/120", false), 255),
        Arguments.of("IPv6 /127", prefix("2001:db8::/127", false), 2),
        Arguments.of("a range is all its addresses", range("10.0.0.10-10.0.0.20", false), 11));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sizes")
  void allocatableSizeFollowsNetBox(String what, NetBoxPool pool, long size) {
    assertThat(pool.allocatableSize()).isEqualTo(BigInteger.valueOf(size));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("usages")
  void statsSumPerKeyAndFamily(String what, List<PoolUsage.Counted> counted, List<PoolStats> expected) {
    assertThat(PoolUsage.stats(counted)).containsExactlyElementsOf(expected);
  }

  static Stream<Arguments> usages() {
    return Stream.of(
        Arguments.of("nothing configured", List.of(), List.of()),
        Arguments.of("one prefix",
            List.of(new PoolUsage.Counted("netbox-prefix-global", prefix("10.0.0.0/29", false), 2)),
            List.of(new PoolStats("netbox-prefix-global", IpFamily.IPV4, BigInteger.valueOf(6), 2))),
        Arguments.of("two pools of one key add up; the other family apart",
            List.of(new PoolUsage.Counted("netbox-prefix-a", prefix("10.0.0.0/29", false), 2),
                new PoolUsage.Counted("netbox-prefix-a", prefix("10.0.1.0/30", true), 1),
                new PoolUsage.Counted("netbox-prefix-a", prefix("2001:db8::/120", false), 7)),
            List.of(new PoolStats("netbox-prefix-a", IpFamily.IPV4, BigInteger.valueOf(10), 3),
                new PoolStats("netbox-prefix-a", IpFamily.IPV6, BigInteger.valueOf(255), 7))),
        Arguments.of("a populated range is full whatever its records",
            List.of(new PoolUsage.Counted("netbox-range-b", range("10.0.0.10-10.0.0.20", true), 0)),
            List.of(new PoolStats("netbox-range-b", IpFamily.IPV4, BigInteger.valueOf(11), 11))),
        Arguments.of("records on reserved addresses never show more use than size",
            List.of(new PoolUsage.Counted("netbox-prefix-c", prefix("10.0.0.0/30", false), 4)),
            List.of(new PoolStats("netbox-prefix-c", IpFamily.IPV4, BigInteger.valueOf(2), 2))),
        Arguments.of("keys sorted",
            List.of(new PoolUsage.Counted("netbox-range-z", range("10.0.0.1-10.0.0.2", false), 0),
                new PoolUsage.Counted("netbox-prefix-a", prefix("10.0.1.0/30", false), 0)),
            List.of(new PoolStats("netbox-prefix-a", IpFamily.IPV4, BigInteger.TWO, 0),
                new PoolStats("netbox-range-z", IpFamily.IPV4, BigInteger.TWO, 0))));
  }
}
