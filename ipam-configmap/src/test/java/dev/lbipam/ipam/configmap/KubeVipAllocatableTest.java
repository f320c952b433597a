package dev.lbipam.ipam.configmap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpPrefix;
import dev.lbipam.ipam.spi.net.IpRange;
import java.math.BigInteger;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class KubeVipAllocatableTest {
  private static final KubeVipAllocatable FILTER = KubeVipAllocatable.INSTANCE;

  /** A null atOrAfter/atOrBefore means "none left in the family". */
  record JumpCase(String description, String address, boolean allocatable, String atOrAfter, String atOrBefore) {
    @Override
    public String toString() {
      return description;
    }
  }

  static Stream<JumpCase> jumps() {
    return Stream.of(
        new JumpCase(".1 is allocatable", "10.0.0.1", true, "10.0.0.1", "10.0.0.1"),
        new JumpCase(".254 is allocatable", "10.0.0.254", true, "10.0.0.254", "10.0.0.254"),
        new JumpCase(".0 jumps to .1 and back to the previous .254", "10.0.1.0", false, "10.0.1.1", "10.0.0.254"),
        new JumpCase(".255 jumps to the next .1 and back to .254", "10.0.0.255", false, "10.0.1.1", "10.0.0.254"),
        new JumpCase("the lowest IPv4 address has nothing before it", "0.0.0.0", false, "0.0.0.1", null),
        new JumpCase("0.0.0.255 looks back to 0.0.0.254", "0.0.0.255", false, "0.0.1.1", "0.0.0.254"),
        new JumpCase("0.0.1.0 looks back to 0.0.0.254", "0.0.1.0", false, "0.0.1.1", "0.0.0.254"),
        new JumpCase("the highest IPv4 address has nothing after it", "255.255.255.255", false, null,
            "255.255.255.254"),
        new JumpCase("255.255.255.0 looks back across the octet", "255.255.255.0", false, "255.255.255.1",
            "255.255.254.254"),
        new JumpCase("IPv6 ending in 0 is allocatable", "2001:db8::", true, "2001:db8::", "2001:db8::"),
        new JumpCase("IPv6 ending in ff is allocatable", "2001:db8::ff", true, "2001:db8::ff", "2001:db8::ff"),
        new JumpCase("the unspecified IPv6 address :: is never handed out", "::", false, "::1", null),
        new JumpCase("IPv6 ::1 is allocatable", "::1", true, "::1", "::1"),
        new JumpCase("IPv4-mapped IPv6 ending in .0 is allocatable", "::ffff:10.0.0.0", true, "::ffff:10.0.0.0",
            "::ffff:10.0.0.0"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jumps")
  void jumpsOverDotZeroAndDot255(JumpCase c) {
    IpAddress address = IpAddress.parse(c.address());

    assertThat(FILTER.isAllocatable(address)).isEqualTo(c.allocatable());
    assertThat(FILTER.atOrAfter(address)).isEqualTo(c.atOrAfter() == null ? null : IpAddress.parse(c.atOrAfter()));
    assertThat(FILTER.atOrBefore(address)).isEqualTo(c.atOrBefore() == null ? null : IpAddress.parse(c.atOrBefore()));
  }

  record CountCase(String description, String block, String allocatable) {
    @Override
    public String toString() {
      return description;
    }
  }

  static Stream<CountCase> counts() {
    return Stream.of(
        new CountCase("a /24 holds 254", "10.0.0.0/24", "254"),
        new CountCase("a /23 holds 508", "10.0.0.0/23", "508"),
        new CountCase("a /25 loses only .0", "10.0.0.0/25", "127"),
        new CountCase("the upper /25 loses only .255", "10.0.0.128/25", "127"),
        new CountCase("a /31 on .0 holds one", "10.0.0.0/31", "1"),
        new CountCase("a /31 on .254 holds one", "10.0.0.254/31", "1"),
        new CountCase("a /32 on .0 holds none", "10.0.0.0/32", "0"),
        new CountCase("a /32 on .7 holds one", "10.0.0.7/32", "1"),
        new CountCase("a range of .255 and .0 holds none", "10.0.0.255-10.0.1.0", "0"),
        new CountCase("a range across .255/.0 holds its ends", "10.0.0.254-10.0.1.1", "2"),
        new CountCase("a range from .1 to .254 holds 254", "10.0.0.1-10.0.0.254", "254"),
        new CountCase("the bottom of IPv4", "0.0.0.0-0.0.1.0", "254"),
        new CountCase("the top of IPv4", "255.255.254.255-255.255.255.255", "254"),
        new CountCase("all of IPv4", "0.0.0.0/0", "4261412864"),
        new CountCase("an IPv6 /64 holds every address", "2001:db8::/64", "18446744073709551616"),
        new CountCase("an IPv6 /120 holds every address", "2001:db8::/120", "256"),
        new CountCase("::/126 loses the unspecified address", "::/126", "3"),
        new CountCase("all of IPv6 loses only ::", "::/0", "340282366920938463463374607431768211455"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("counts")
  void countsAllocatableAddresses(CountCase c) {
    IpRange range = c.block().contains("/") ? IpPrefix.parse(c.block()).toRange() : IpRange.parse(c.block());

    assertThat(FILTER.countAllocatable(range)).isEqualTo(new BigInteger(c.allocatable()));
  }
}
