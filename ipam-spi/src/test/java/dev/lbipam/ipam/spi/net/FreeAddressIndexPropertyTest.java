package dev.lbipam.ipam.spi.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link FreeAddressIndex} with {@link AllocatableFilter#ALL} against a BitSet model of two small
 * spaces, 1024 IPv4 and 1024 IPv6 addresses, in one index. Slot {@code s < 1024} is {@code v4 + s},
 * slot {@code 1024 + s} is {@code v6 + s}. The bases include the edges of both families.
 */
class FreeAddressIndexPropertyTest {
  static final int SPACE = 1024;

  record Bases(IpAddress v4, IpAddress v6) {
    IpAddress at(int slot) {
      return slot < SPACE ? v4.plus(slot) : v6.plus(slot - SPACE);
    }

    @Override
    public String toString() {
      return v4 + "+[0,1024) and " + v6 + "+[0,1024)";
    }
  }

  /** One step: mark {@code slot} used or free, then query [from, to] of one family and probe one slot. */
  record Op(boolean use, int slot, boolean queryIpv6, int from, int to, int probe) {}

  @Provide
  Arbitrary<Bases> bases() {
    return Arbitraries.of(
        new Bases(IpAddress.parse("10.0.0.0"), IpAddress.parse("2001:db8::")),
        new Bases(IpAddress.parse("255.255.252.0"), IpAddress.parse("::")),
        new Bases(IpAddress.parse("0.0.0.0"), IpAddress.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fc00")),
        new Bases(IpAddress.parse("192.168.3.0"), IpAddress.parse("2001:db8::ffff:ffff:ffff:fe00")));
  }

  @Provide
  Arbitrary<List<Op>> ops() {
    Arbitrary<Integer> slot = Arbitraries.integers().between(0, 2 * SPACE - 1);
    Arbitrary<Integer> offset = Arbitraries.integers().between(0, SPACE - 1);
    return Combinators.combine(
            Arbitraries.integers().between(0, 4).map(i -> i < 3),
            slot,
            Arbitraries.of(false, true),
            offset,
            offset,
            slot)
        .as(Op::new)
        .list()
        .ofMinSize(1)
        .ofMaxSize(120);
  }

  /**
   * {@code window} squeezes slots into the first {@code window} addresses of each family, so that
   * runs touch, merge and fill the whole window.
   */
  @Property(tries = 300)
  void agreesWithABitSetAfterEveryStep(
      @ForAll("bases") Bases bases, @ForAll("ops") List<Op> ops, @ForAll @IntRange(min = 2, max = SPACE) int window) {
    FreeAddressIndex index = new FreeAddressIndex(AllocatableFilter.ALL);
    BitSet model = new BitSet(2 * SPACE);
    for (Op op : ops) {
      int slot = squeeze(op.slot(), window);
      IpAddress address = bases.at(slot);
      if (op.use()) {
        assertThat(index.markUsed(address)).as("markUsed %s", address).isEqualTo(!model.get(slot));
        model.set(slot);
      } else {
        assertThat(index.markFree(address)).as("markFree %s", address).isEqualTo(model.get(slot));
        model.clear(slot);
      }

      assertThat(index.usedCount()).isEqualTo(model.cardinality());
      assertThat(index.runCount()).isEqualTo(runs(model));
      int probe = squeeze(op.probe(), Math.min(SPACE, window + 2));
      assertThat(index.isUsed(bases.at(probe))).as("isUsed %s", bases.at(probe)).isEqualTo(model.get(probe));
      int familyStart = op.queryIpv6() ? SPACE : 0;
      int limit = Math.min(SPACE, window + 2);
      int a = familyStart + Math.min(op.from() % limit, op.to() % limit);
      int b = familyStart + Math.max(op.from() % limit, op.to() % limit);
      checkQueries(index, model, bases, a, b);
    }
    for (int slot = 0; slot < 2 * SPACE; slot++) {
      assertThat(index.isUsed(bases.at(slot))).as("isUsed %s", bases.at(slot)).isEqualTo(model.get(slot));
    }
    checkQueries(index, model, bases, 0, SPACE - 1);
    checkQueries(index, model, bases, SPACE, 2 * SPACE - 1);
  }

  private static void checkQueries(FreeAddressIndex index, BitSet model, Bases bases, int a, int b) {
    IpRange range = new IpRange(bases.at(a), bases.at(b));
    int lowest = model.nextClearBit(a);
    int highest = model.previousClearBit(b);
    assertThat(index.lowestFree(range))
        .as("lowestFree %s", range)
        .isEqualTo(lowest <= b ? Optional.of(bases.at(lowest)) : Optional.empty());
    assertThat(index.highestFree(range))
        .as("highestFree %s", range)
        .isEqualTo(highest >= a ? Optional.of(bases.at(highest)) : Optional.empty());
    assertThat(index.usedWithin(range)).as("usedWithin %s", range).isEqualTo(model.get(a, b + 1).cardinality());
  }

  /** Maximal runs of set bits, never joined across the two families. */
  static int runs(BitSet model) {
    int runs = 0;
    for (int i = model.nextSetBit(0); i >= 0; i = model.nextSetBit(i + 1)) {
      if (i % SPACE == 0 || !model.get(i - 1)) {
        runs++;
      }
    }
    return runs;
  }

  private static int squeeze(int slot, int window) {
    return (slot / SPACE) * SPACE + (slot % SPACE) % window;
  }
}
