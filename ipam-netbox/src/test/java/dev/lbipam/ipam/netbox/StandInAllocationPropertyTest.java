package dev.lbipam.ipam.netbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpPrefix;
import dev.lbipam.ipam.spi.net.IpRange;
import dev.lbipam.testsupport.netbox.NetBoxStandIn;
import java.math.BigInteger;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The stand-in's allocator, driven through the client with random allocate/release sequences: it
 * never hands out an address twice, stays inside the prefix, honours the is_pool rules, always
 * gives the lowest free address, and answers 409 exactly when the prefix is full.
 */
class StandInAllocationPropertyTest {
  private static NetBoxStandIn netbox;
  private static NetBoxClient client;
  private static NetBoxSettings settings;
  private static final AtomicInteger NEXT = new AtomicInteger();

  @BeforeContainer
  static void start() {
    netbox = NetBoxStandIn.start();
    NetBoxTarget target = NetBoxTarget.on(netbox);
    settings = target.settings("prop");
    client = target.client("prop");
    NetBoxSetup.ensure(client, settings);
  }

  @AfterContainer
  static void stop() {
    client.close();
    netbox.close();
  }

  @Property(tries = 60)
  void allocationIsLowestFreeUniqueInsideAndHonoursIsPool(
      @ForAll("lengths") int length, @ForAll boolean ipv6, @ForAll boolean isPool, @ForAll("ops") List<Integer> ops) {
    int n = NEXT.incrementAndGet();
    String cidr = ipv6 ? "fd77:" + Integer.toHexString(n) + "::/" + (128 - (32 - length)) : "10." + (n / 256) + "." + (n % 256) + ".0/" + length;
    IpPrefix prefix = IpPrefix.parse(cidr);
    netbox.createPrefix(prefix.toString(), null, isPool);
    NetBoxPool pool = client.findPrefix(prefix, Optional.empty()).orElseThrow();
    IpRange span = prefix.toRange();
    boolean whole = isPool || (prefix.family().bits() - prefix.length() <= 1);
    Set<IpAddress> usable = new HashSet<>();
    for (BigInteger v = span.first().value(); v.compareTo(span.last().value()) <= 0; v = v.add(BigInteger.ONE)) {
      IpAddress a = new IpAddress(prefix.family(), v);
      boolean excluded = !whole && (a.equals(span.first()) || (!ipv6 && a.equals(span.last())));
      if (!excluded) {
        usable.add(a);
      }
    }
    java.util.TreeMap<IpAddress, Long> held = new java.util.TreeMap<>();
    int claim = 0;
    for (int op : ops) {
      if (op >= 0 || held.isEmpty()) {
        NetBoxClient.Allocation result = client.allocate(pool, element("p" + n + "-" + claim++));
        Optional<IpAddress> lowest = usable.stream().filter(a -> !held.containsKey(a)).sorted().findFirst();
        if (lowest.isEmpty()) {
          assertThat(result).isInstanceOf(NetBoxClient.Allocation.Full.class);
        } else {
          assertThat(result).isInstanceOf(NetBoxClient.Allocation.Created.class);
          NetBoxRecord record = ((NetBoxClient.Allocation.Created) result).record();
          assertThat(record.address()).isEqualTo(lowest.get());
          assertThat(usable).contains(record.address());
          assertThat(held).doesNotContainKey(record.address());
          assertThat(record.maskLength()).isEqualTo(prefix.length());
          held.put(record.address(), record.id());
        }
      } else {
        IpAddress victim = held.keySet().stream().skip(Math.floorMod(op, held.size())).findFirst().orElseThrow();
        assertThat(client.deleteAddress(held.remove(victim), Optional.empty())).isEqualTo(NetBoxClient.Deletion.DELETED);
      }
    }
    assertThat(netbox.addresses().stream().filter(a -> span.contains(IpAddress.parse(a.host()))).count()).isEqualTo(held.size());
  }

  private static com.google.gson.JsonObject element(String name) {
    com.google.gson.JsonObject e = new com.google.gson.JsonObject();
    com.google.gson.JsonObject cfs = new com.google.gson.JsonObject();
    cfs.addProperty(settings.claimField(), "prop/ns/" + name + "/u/ipv4");
    e.add("custom_fields", cfs);
    return e;
  }

  @Provide
  Arbitrary<Integer> lengths() {
    return Arbitraries.integers().between(28, 32);
  }

  @Provide
  Arbitrary<List<Integer>> ops() {
    return Arbitraries.integers().between(-20, 20).list().ofMaxSize(25);
  }
}
