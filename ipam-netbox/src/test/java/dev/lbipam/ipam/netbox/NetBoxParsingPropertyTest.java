package dev.lbipam.ipam.netbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpFamily;
import dev.lbipam.ipam.spi.net.IpPrefix;
import dev.lbipam.ipam.spi.net.IpRange;
import java.math.BigInteger;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Parsers only ever throw their own exception, and print what they read. */
class NetBoxParsingPropertyTest {

  @Property(tries = 2000)
  void poolRefParsingThrowsOnlyItsOwnException(@ForAll("noise") String text, @ForAll PoolRef.Kind kind) {
    try {
      PoolRef ref = PoolRef.parse(kind, text);
      assertThat(PoolRef.parse(kind, ref.toString())).isEqualTo(ref);
    } catch (PoolRef.PoolRefException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }

  @Property(tries = 500)
  void poolConfigNeverThrows(@ForAll("noise") String value, @ForAll("keys") String key) {
    PoolConfig config = PoolConfig.parse(Map.of(key, value));
    assertThat(config.select("ns").entries().size() + config.problems().size()).isGreaterThanOrEqualTo(0);
  }

  @Property(tries = 1000)
  void prefixReferencesRoundTrip(@ForAll("prefixes") IpPrefix prefix, @ForAll("vrfs") Optional<String> vrf) {
    PoolRef ref = new PoolRef.PrefixByCidr(prefix, vrf);
    assertThat(PoolRef.parse(PoolRef.Kind.PREFIX, ref.toString())).isEqualTo(ref);
  }

  @Property(tries = 1000)
  void rangeReferencesRoundTrip(@ForAll("ranges") IpRange range, @ForAll("vrfs") Optional<String> vrf) {
    PoolRef ref = new PoolRef.RangeByBounds(range, vrf);
    assertThat(PoolRef.parse(PoolRef.Kind.RANGE, ref.toString())).isEqualTo(ref);
  }

  @Property(tries = 500)
  void claimKeysRoundTrip(@ForAll("labels") String cluster, @ForAll("labels") String ns, @ForAll("labels") String name,
      @ForAll("labels") String uid, @ForAll IpFamily family) {
    ClaimKey key = new ClaimKey(new OwnerRef(cluster, ns, name, uid), family);
    assertThat(ClaimKey.parse(key.text())).contains(key);
  }

  @Provide
  Arbitrary<String> noise() {
    Arbitrary<String> pieces = Arbitraries.of("10.0.0.0", "/24", "/33", "-", "@", "#", "12", "fd00::", "::1", ".", " ", ",",
        "vrf", "0", "255", "300", ":", "1.2.3.4", "x");
    return Arbitraries.oneOf(pieces.list().ofMaxSize(8).map(l -> String.join("", l)), Arbitraries.strings().ofMaxLength(20));
  }

  @Provide
  Arbitrary<String> keys() {
    return Arbitraries.of("netbox-prefix-ns", "netbox-range-ns", "netbox-prefix-global", "netbox-range-global", "cidr-ns");
  }

  @Provide
  Arbitrary<Optional<String>> vrfs() {
    return Arbitraries.strings().withChars("abcXYZ-_ 09").ofMinLength(1).ofMaxLength(10)
        .filter(s -> !s.isBlank() && s.equals(s.strip())).optional();
  }

  @Provide
  Arbitrary<String> labels() {
    return Arbitraries.strings().withChars("abcdefghij0123456789-").ofMinLength(1).ofMaxLength(20);
  }

  private static Arbitrary<IpAddress> addresses() {
    Arbitrary<IpAddress> v4 = Arbitraries.longs().between(0, 0xffffffffL).map(v -> IpAddress.of(IpFamily.IPV4, v));
    Arbitrary<IpAddress> v6 = Arbitraries.bigIntegers().between(BigInteger.ZERO, IpFamily.IPV6.maxValue())
        .map(v -> new IpAddress(IpFamily.IPV6, v));
    return Arbitraries.oneOf(v4, v6);
  }

  @Provide
  Arbitrary<IpPrefix> prefixes() {
    return addresses().flatMap(a -> Arbitraries.integers().between(1, a.family().bits())
        .map(len -> IpPrefix.parse(a + "/" + len)));
  }

  @Provide
  Arbitrary<IpRange> ranges() {
    return Combinators.combine(addresses(), Arbitraries.longs().between(0, 1000)).as((a, n) -> {
      IpAddress b = a.plus(n);
      return new IpRange(a, b == null ? a : b);
    });
  }
}
