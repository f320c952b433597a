package dev.lbipam.ipam.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpFamily;
import java.math.BigInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class ClaimKeysTest {
  @Provide
  Arbitrary<IpAddress> ipv6() {
    return Arbitraries.bigIntegers()
        .between(BigInteger.ZERO, IpFamily.IPV6.maxValue())
        .map(v -> new IpAddress(IpFamily.IPV6, v));
  }

  @Provide
  Arbitrary<IpAddress> ipv4() {
    return Arbitraries.longs().between(0, 0xffffffffL).map(v -> IpAddress.of(IpFamily.IPV4, v));
  }

  @Property
  void ipv6HexOrderIsNumericOrder(@ForAll("ipv6") IpAddress a, @ForAll("ipv6") IpAddress b) {
    assertThat(Integer.signum(ClaimKeys.hex(a).compareTo(ClaimKeys.hex(b)))).isEqualTo(Integer.signum(a.compareTo(b)));
    assertThat(ClaimKeys.hex(a)).hasSize(32);
    assertThat(ClaimKeys.fromMember(ClaimKeys.member(a))).isEqualTo(a);
  }

  @Property
  void ipv4HexOrderIsNumericOrder(@ForAll("ipv4") IpAddress a, @ForAll("ipv4") IpAddress b) {
    assertThat(Integer.signum(ClaimKeys.hex(a).compareTo(ClaimKeys.hex(b)))).isEqualTo(Integer.signum(a.compareTo(b)));
    assertThat(ClaimKeys.fromMember(ClaimKeys.member(a))).isEqualTo(a);
  }

  @Test
  void everyKeyOfASpaceSharesOneHashTag() {
    ClaimKeys keys = new ClaimKeys("lbipam", "lab");
    OwnerRef owner = new OwnerRef("c1", "ns", "svc", "uid");
    assertThat(keys.used(IpFamily.IPV4)).isEqualTo("lbipam:{lab}:used:4");
    assertThat(keys.claim(IpAddress.parse("10.0.0.1"))).isEqualTo("lbipam:{lab}:claim:4:0a000001");
    assertThat(keys.claim(IpAddress.parse("2001:db8::1"))).isEqualTo("lbipam:{lab}:claim:6:20010db8000000000000000000000001");
    assertThat(keys.owner(owner)).isEqualTo("lbipam:{lab}:owner:c1/ns/svc/uid");
    assertThat(keys.cluster("c1")).isEqualTo("lbipam:{lab}:cluster:c1");
    assertThat(ClaimKeys.parseOwnerId(ClaimKeys.ownerId(owner))).isEqualTo(owner);
  }
}
