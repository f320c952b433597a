package dev.lbipam.ipam.netbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lbipam.ipam.netbox.PoolRef.Kind;
import dev.lbipam.ipam.spi.net.IpPrefix;
import dev.lbipam.ipam.spi.net.IpRange;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class PoolRefTest {

  record Case(String description, Kind kind, String entry, PoolRef expected) {
    @Override
    public String toString() {
      return description;
    }
  }

  static Stream<Case> valid() {
    return Stream.of(
        new Case("prefix by CIDR in the global table", Kind.PREFIX, "10.0.0.0/24",
            new PoolRef.PrefixByCidr(IpPrefix.parse("10.0.0.0/24"), Optional.empty())),
        new Case("prefix with host bits is masked, as kube-vip does", Kind.PREFIX, "10.0.0.7/24",
            new PoolRef.PrefixByCidr(IpPrefix.parse("10.0.0.0/24"), Optional.empty())),
        new Case("prefix in a VRF", Kind.PREFIX, "10.0.0.0/24@blue",
            new PoolRef.PrefixByCidr(IpPrefix.parse("10.0.0.0/24"), Optional.of("blue"))),
        new Case("VRF name with spaces and dashes", Kind.PREFIX, "10.0.0.0/24@Prod DC-1",
            new PoolRef.PrefixByCidr(IpPrefix.parse("10.0.0.0/24"), Optional.of("Prod DC-1"))),
        new Case("IPv6 prefix", Kind.PREFIX, "fd00:10::/64",
            new PoolRef.PrefixByCidr(IpPrefix.parse("fd00:10::/64"), Optional.empty())),
        new Case("prefix by id", Kind.PREFIX, "#12", new PoolRef.ById(Kind.PREFIX, 12)),
        new Case("range by bounds", Kind.RANGE, "10.0.0.10-10.0.0.20",
            new PoolRef.RangeByBounds(IpRange.parse("10.0.0.10-10.0.0.20"), Optional.empty())),
        new Case("IPv6 range in a VRF", Kind.RANGE, "fd00::10-fd00::20@red",
            new PoolRef.RangeByBounds(IpRange.parse("fd00::10-fd00::20"), Optional.of("red"))),
        new Case("single-address range", Kind.RANGE, "10.0.0.5-10.0.0.5",
            new PoolRef.RangeByBounds(IpRange.parse("10.0.0.5-10.0.0.5"), Optional.empty())),
        new Case("range by id", Kind.RANGE, "#7", new PoolRef.ById(Kind.RANGE, 7)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("valid")
  void parsesValidEntries(Case c) {
    assertThat(PoolRef.parse(c.kind(), c.entry())).isEqualTo(c.expected());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("valid")
  void printsWhatItParses(Case c) {
    PoolRef ref = PoolRef.parse(c.kind(), c.entry());
    assertThat(PoolRef.parse(c.kind(), ref.toString())).isEqualTo(ref);
  }

  record Bad(String description, Kind kind, String entry, String messagePart) {
    @Override
    public String toString() {
      return description;
    }
  }

  static Stream<Bad> invalid() {
    return Stream.of(
        new Bad("empty", Kind.PREFIX, "", "empty"),
        new Bad("a range in a prefix key", Kind.PREFIX, "10.0.0.1-10.0.0.5", "not a prefix"),
        new Bad("a CIDR in a range key", Kind.RANGE, "10.0.0.0/24", "not a range"),
        new Bad("prefix length too long", Kind.PREFIX, "10.0.0.0/33", "10.0.0.0/33"),
        new Bad("bad octet", Kind.PREFIX, "10.0.0.300/24", "10.0.0.300"),
        new Bad("range backwards", Kind.RANGE, "10.0.0.20-10.0.0.10", "after its end"),
        new Bad("range mixing families", Kind.RANGE, "10.0.0.1-fd00::1", "mixes families"),
        new Bad("empty VRF", Kind.PREFIX, "10.0.0.0/24@", "empty VRF"),
        new Bad("two VRFs", Kind.PREFIX, "10.0.0.0/24@a@b", "more than one @"),
        new Bad("id zero", Kind.PREFIX, "#0", "positive"),
        new Bad("id not a number", Kind.RANGE, "#x1", "not an id"),
        new Bad("id negative", Kind.RANGE, "#-1", "not an id"),
        new Bad("untrimmed", Kind.PREFIX, " 10.0.0.0/24", "whitespace"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void rejectsInvalidEntriesWithItsOwnException(Bad c) {
    assertThatThrownBy(() -> PoolRef.parse(c.kind(), c.entry()))
        .isInstanceOf(PoolRef.PoolRefException.class)
        .hasMessageContaining(c.messagePart());
  }
}
