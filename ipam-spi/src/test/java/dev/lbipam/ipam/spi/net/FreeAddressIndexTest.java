package dev.lbipam.ipam.spi.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class FreeAddressIndexTest {

  /**
   * Marks {@code used} in order, then frees {@code freed} in order, then asks about {@code range}.
   * A null lowest/highest means "none free".
   */
  record Case(
      String description,
      List<String> used,
      List<String> freed,
      String range,
      String lowest,
      String highest,
      long usedWithin,
      int runCount) {
    @Override
    public String toString() {
      return description;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("an empty index has the whole range free", List.of(), List.of(), "10.0.0.0/30",
            "10.0.0.0", "10.0.0.3", 0, 0),
        new Case("lowest skips a used run at the start", List.of("10.0.0.0", "10.0.0.1"), List.of(), "10.0.0.0/30",
            "10.0.0.2", "10.0.0.3", 2, 1),
        new Case("highest skips a used run at the end", List.of("10.0.0.3", "10.0.0.2"), List.of(), "10.0.0.0/30",
            "10.0.0.0", "10.0.0.1", 2, 1),
        new Case("a full range has nothing free",
            List.of("10.0.0.2", "10.0.0.0", "10.0.0.3", "10.0.0.1"), List.of(), "10.0.0.0/30", null, null, 4, 1),
        new Case("freeing the middle splits a run",
            List.of("10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3"), List.of("10.0.0.2"), "10.0.0.0/30",
            "10.0.0.2", "10.0.0.2", 3, 2),
        new Case("freeing the ends shrinks a run",
            List.of("10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3"), List.of("10.0.0.0", "10.0.0.3"), "10.0.0.0/30",
            "10.0.0.0", "10.0.0.3", 2, 1),
        new Case("filling a gap joins two runs", List.of("10.0.0.0", "10.0.0.2", "10.0.0.1"), List.of(),
            "10.0.0.0/30", "10.0.0.3", "10.0.0.3", 3, 1),
        new Case("addresses outside the range do not count", List.of("10.0.0.4", "10.0.0.255"), List.of(),
            "10.0.0.0/30", "10.0.0.0", "10.0.0.3", 0, 2),
        new Case("a run reaching into the range from below counts only its inside part",
            List.of("10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"), List.of(), "10.0.0.4/30", "10.0.0.6", "10.0.0.7",
            2, 1),
        new Case("freeing an address that was never used changes nothing", List.of("10.0.0.1"), List.of("10.0.0.2"),
            "10.0.0.0/30", "10.0.0.0", "10.0.0.3", 1, 1),
        new Case("the top of IPv4 and the bottom of IPv6 are separate runs", List.of("255.255.255.255", "::"),
            List.of(), "255.255.255.252/30", "255.255.255.252", "255.255.255.254", 1, 2),
        new Case("IPv6 ::/126 ignores a used top of IPv4", List.of("255.255.255.255", "::"), List.of(), "::/126",
            "::1", "::3", 1, 2),
        new Case("IPv6 /64 empty", List.of(), List.of(), "2001:db8::/64", "2001:db8::",
            "2001:db8::ffff:ffff:ffff:ffff", 0, 0),
        new Case("IPv6 /64 lowest skips the used start", List.of("2001:db8::", "2001:db8::1", "2001:db8::2"), List.of(),
            "2001:db8::/64", "2001:db8::3", "2001:db8::ffff:ffff:ffff:ffff", 3, 1),
        new Case("IPv6 /64 highest skips the used end",
            List.of("2001:db8::ffff:ffff:ffff:ffff", "2001:db8::ffff:ffff:ffff:fffe"), List.of(), "2001:db8::/64",
            "2001:db8::", "2001:db8::ffff:ffff:ffff:fffd", 2, 1),
        new Case("IPv6 a run across two /64 counts only inside each",
            List.of("2001:db8::ffff:ffff:ffff:ffff", "2001:db8:0:1::"), List.of(), "2001:db8:0:1::/64",
            "2001:db8:0:1::1", "2001:db8:0:1:ffff:ffff:ffff:ffff", 1, 1),
        new Case("IPv6 a freed address in a run is the lowest free",
            List.of("2001:db8::", "2001:db8::1", "2001:db8::2"), List.of("2001:db8::1"), "2001:db8::/64",
            "2001:db8::1", "2001:db8::ffff:ffff:ffff:ffff", 2, 2),
        new Case("IPv6 the top of the space", List.of("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), List.of(),
            "ffff:ffff:ffff:ffff::/64", "ffff:ffff:ffff:ffff::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 1, 1),
        new Case("IPv6 a single-address range that is used", List.of("2001:db8::5"), List.of(), "2001:db8::5/128",
            null, null, 1, 1));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void answersFromItsRuns(Case c) {
    FreeAddressIndex index = new FreeAddressIndex(AllocatableFilter.ALL);
    c.used().forEach(a -> assertThat(index.markUsed(IpAddress.parse(a))).as("markUsed %s", a).isTrue());
    c.freed().forEach(a -> index.markFree(IpAddress.parse(a)));
    IpRange range = IpPrefix.parse(c.range()).toRange();

    assertThat(index.lowestFree(range)).isEqualTo(Optional.ofNullable(c.lowest()).map(IpAddress::parse));
    assertThat(index.highestFree(range)).isEqualTo(Optional.ofNullable(c.highest()).map(IpAddress::parse));
    assertThat(index.usedWithin(range)).isEqualTo(c.usedWithin());
    assertThat(index.runCount()).isEqualTo(c.runCount());
    long stillUsed = c.used().stream().filter(a -> !c.freed().contains(a)).count();
    assertThat(index.usedCount()).isEqualTo(stillUsed);
    c.used().forEach(a -> assertThat(index.isUsed(IpAddress.parse(a))).isEqualTo(!c.freed().contains(a)));
  }

  @Test
  void markingTwiceOrFreeingTwiceReportsNoChange() {
    FreeAddressIndex index = new FreeAddressIndex(AllocatableFilter.ALL);
    IpAddress address = IpAddress.parse("2001:db8::1");

    assertThat(index.markUsed(address)).isTrue();
    assertThat(index.markUsed(address)).isFalse();
    assertThat(index.usedCount()).isEqualTo(1);
    assertThat(index.markFree(address)).isTrue();
    assertThat(index.markFree(address)).isFalse();
    assertThat(index.usedCount()).isZero();
    assertThat(index.runCount()).isZero();
  }
}
