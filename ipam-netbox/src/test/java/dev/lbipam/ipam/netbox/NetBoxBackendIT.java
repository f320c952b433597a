package dev.lbipam.ipam.netbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lbipam.ipam.spi.AllocationOutcome;
import dev.lbipam.ipam.spi.AllocationOutcome.Allocated;
import dev.lbipam.ipam.spi.AllocationOutcome.Rejected;
import dev.lbipam.ipam.spi.AllocationRequest;
import dev.lbipam.ipam.spi.BackendContext;
import dev.lbipam.ipam.spi.BackendMetric;
import dev.lbipam.ipam.spi.FamilyPolicy;
import dev.lbipam.ipam.spi.HoldOutcome;
import dev.lbipam.ipam.spi.Holding;
import dev.lbipam.ipam.spi.IpamBackend;
import dev.lbipam.ipam.spi.IpamException;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.PoolStats;
import dev.lbipam.ipam.spi.PortKey;
import dev.lbipam.ipam.spi.RejectReason;
import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpFamily;
import dev.lbipam.testsupport.netbox.NetBoxStandIn;
import dev.lbipam.testsupport.netbox.HttpCall;
import dev.lbipam.testsupport.netbox.NetBoxStandIn.RecordedAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The netbox backend alone, against the stand-in: every promise of issue 4 that needs no cluster. */
class NetBoxBackendIT {
  private static final AtomicInteger NET = new AtomicInteger(1);
  static NetBoxStandIn netbox;
  private final List<IpamBackend> backends = new ArrayList<>();

  @BeforeAll
  static void start() {
    netbox = NetBoxStandIn.start();
  }

  @AfterAll
  static void stop() {
    netbox.close();
  }

  @AfterEach
  void closeBackends() {
    netbox.clearFaults();
    netbox.startListening();
    backends.forEach(IpamBackend::close);
  }

  /** A fresh 10.N.0.0/16 area per test, so tests never share addresses. */
  private static String area() {
    return "10." + (100 + NET.getAndIncrement()) + ".";
  }

  private static String cluster() {
    return "it-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private NetBoxBackend backend(String cluster, Map<String, String> extra) {
    return backend(netbox, cluster, extra, NetBoxStandIn.LEGACY_TOKEN);
  }

  private NetBoxBackend backend(NetBoxStandIn target, String cluster, Map<String, String> extra, String token) {
    Map<String, String> options = new HashMap<>();
    options.put("url", target.url());
    options.put("retry-backoff", "PT0.01S");
    options.put("circuit-open-duration", "PT0.5S");
    options.put("gc-grace", "PT0.3S");
    options.putAll(extra);
    IpamBackend created =
        new NetBoxBackendFactory().create(new BackendContext(cluster, options,
            n -> n.equals("netbox-token") ? Optional.of(token) : Optional.empty()));
    backends.add(created);
    return (NetBoxBackend) created;
  }

  private static OwnerRef owner(String cluster, String ns, String name) {
    return new OwnerRef(cluster, ns, name, UUID.randomUUID().toString());
  }

  private static AllocationRequest single(OwnerRef owner, IpFamily family) {
    return new AllocationRequest(owner, List.of(family), FamilyPolicy.SINGLE_STACK, List.of(new PortKey("TCP", 80)));
  }

  private static AllocationRequest dual(OwnerRef owner, FamilyPolicy policy, IpFamily... families) {
    return new AllocationRequest(owner, List.of(families), policy, List.of(new PortKey("TCP", 80)));
  }

  private static Allocated allocated(AllocationOutcome outcome) {
    assertThat(outcome).as("%s", outcome).isInstanceOf(Allocated.class);
    return (Allocated) outcome;
  }

  private static Rejected rejected(AllocationOutcome outcome) {
    assertThat(outcome).as("%s", outcome).isInstanceOf(Rejected.class);
    return (Rejected) outcome;
  }

  private static List<RecordedAddress> claimedBy(OwnerRef owner) {
    String prefix = owner.clusterId() + "/" + owner.namespace() + "/" + owner.name() + "/" + owner.uid() + "/";
    return netbox.addresses().stream()
        .filter(a -> a.customField("lbipam_claim").map(c -> c.startsWith(prefix)).orElse(false)).toList();
  }

  private static List<RecordedAddress> inArea(String area) {
    return netbox.addresses().stream().filter(a -> a.host().startsWith(area)).toList();
  }

  private static IpAddress ip(String text) {
    return IpAddress.parse(text);
  }

  @Test
  void allocatesTheLowestFreeAddressAndRecordsItsOwnerInNetBox() {
    String area = area();
    netbox.createPrefix(area + "0.0/24");
    String cluster = cluster();
    NetBoxBackend backend = backend(cluster, Map.of());
    assertThat(backend.configure(Optional.of(Map.of("netbox-prefix-global", area + "0.0/24", "interface-global", "eth1"))))
        .isEmpty();
    OwnerRef web = owner(cluster, "shop", "web");

    Allocated got = allocated(backend.allocate(single(web, IpFamily.IPV4)));

    assertThat(got.addresses()).containsExactly(ip(area + "0.1"));
    assertThat(got.pool()).isEqualTo("netbox-prefix-global");
    assertThat(got.serviceInterface()).contains("eth1");
    RecordedAddress record = claimedBy(web).get(0);
    assertThat(record.address()).isEqualTo(area + "0.1/24");
    assertThat(record.tags()).containsExactly("lbipam");
    assertThat(record.customField("lbipam_claim")).contains(cluster + "/shop/web/" + web.uid() + "/ipv4");
    assertThat(record.customField("lbipam_cluster")).contains(cluster);
    assertThat(record.dnsName()).isEqualTo("web.shop");
    assertThat(record.description()).contains("shop/web").contains(cluster);
    assertThat(record.status()).isEqualTo("active");
    assertThat(netbox.tagExists("lbipam")).isTrue();
    assertThat(netbox.customFieldExists("lbipam_claim")).isTrue();

    assertThat(allocated(backend.allocate(single(owner(cluster, "shop", "api"), IpFamily.IPV4))).addresses())
        .containsExactly(ip(area + "0.2"));
  }

  @Test
  void allocationIsIdempotentWithinARunAndAcrossARestart() {
    String area = area();
    netbox.createPrefix(area + "0.0/24");
    String cluster = cluster();
    Map<String, String> pools = Map.of("netbox-prefix-global", area + "0.0/24");
    NetBoxBackend first = backend(cluster, Map.of());
    first.configure(Optional.of(pools));
    OwnerRef web = owner(cluster, "shop", "web");
    IpAddress address = allocated(first.allocate(single(web, IpFamily.IPV4))).addresses().get(0);
    assertThat(allocated(first.allocate(single(web, IpFamily.IPV4))).addresses()).containsExactly(address);
    first.close();

    NetBoxBackend restarted = backend(cluster, Map.of());
    restarted.configure(Optional.of(pools));
    assertThat(allocated(restarted.allocate(single(web, IpFamily.IPV4))).addresses()).containsExactly(address);
    assertThat(restarted.holdings()).singleElement().satisfies(h -> {
      assertThat(h.owner()).isEqualTo(web);
      assertThat(h.addresses()).containsExactly(address);
    });
    assertThat(claimedBy(web)).hasSize(1);
  }

  @Test
  void aDualStackServiceGetsOneAddressPerFamilyPrimaryFirst() {
    String area = area();
    int n = NET.get();
    netbox.createPrefix(area + "0.0/24");
    netbox.createPrefix("fd00:" + n + "::/64");
    String cluster = cluster();
    NetBoxBackend backend = backend(cluster, Map.of());
    backend.configure(Optional.of(Map.of("netbox-prefix-global", area + "0.0/24, fd00:" + n + "::/64")));

    OwnerRef both = owner(cluster, "ns", "both");
    Allocated got = allocated(backend.allocate(dual(both, FamilyPolicy.REQUIRE_DUAL_STACK, IpFamily.IPV6, IpFamily.IPV4)));
    assertThat(got.addresses()).containsExactly(ip("fd00:" + n + "::1"), ip(area + "0.1"));
    assertThat(claimedBy(both)).hasSize(2).extracting(a -> a.customField("lbipam_claim").orElseThrow())
        .anyMatch(c -> c.endsWith("/ipv6")).anyMatch(c -> c.endsWith("/ipv4"));

    String other = cluster();
    NetBoxBackend v4only = backend(other, Map.of());
    v4only.configure(Optional.of(Map.of("netbox-prefix-global", area + "0.0/24")));
    OwnerRef prefer = owner(other, "ns", "prefer");
    Allocated preferred = allocated(v4only.allocate(dual(prefer, FamilyPolicy.PREFER_DUAL_STACK, IpFamily.IPV4, IpFamily.IPV6)));
    assertThat(preferred.addresses()).containsExactly(ip(area + "0.2"));
    assertThat(preferred.notes()).anyMatch(note -> note.contains("no NetBox pool for IPv6"));
    Rejected require = rejected(v4only.allocate(dual(owner(other, "ns", "req"), FamilyPolicy.REQUIRE_DUAL_STACK,
        IpFamily.IPV4, IpFamily.IPV6)));
    assertThat(require.reason()).isEqualTo(RejectReason.NO_POOL);
    assertThat(require.message()).contains("dual-stack");
  }

  @Test
  void aFullPoolFallsThroughToTheNextAndThenReportsPoolExhaustedNamingEveryPool() {
    String area = area();
    netbox.createPrefix(area + "0.0/30");
    long rangeId = netbox.createRange(area + "1.10/24", area + "1.11/24", null, false);
    String cluster = cluster();
    NetBoxBackend backend = backend(cluster, Map.of());
    backend.configure(Optional.of(Map.of("netbox-prefix-global", area + "0.0/30", "netbox-range-global", "#" + rangeId)));
    List<IpAddress> got = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      got.addAll(allocated(backend.allocate(single(owner(cluster, "ns", "s" + i), IpFamily.IPV4))).addresses());
    }
    assertThat(got).containsExactly(ip(area + "0.1"), ip(area + "0.2"), ip(area + "1.10"), ip(area + "1.11"));
    Rejected full = rejected(backend.allocate(single(owner(cluster, "ns", "s5"), IpFamily.IPV4)));
    assertThat(full.reason()).isEqualTo(RejectReason.POOL_EXHAUSTED);
    assertThat(full.message()).contains(area + "0.0/30").contains("#" + rangeId).contains("full");
  }

  @Test
  void poolSelectionNamespaceFirstVrfsIdsAndClearRejections() {
    String area = area();
    long vrf = netbox.createVrf("blue-" + area);
    netbox.createPrefix(area + "0.0/24", vrf, false);
    netbox.createPrefix(area + "1.0/24");
    String cluster = cluster();
    NetBoxBackend backend = backend(cluster, Map.of());
    backend.configure(Optional.of(Map.of(
        "netbox-prefix-team", area + "0.0/24@blue-" + area,
        "netbox-prefix-global", area + "1.0/24",
        "netbox-prefix-broken", area + "9.0/24, " + area + "0.0/24@no-such-vrf")));

    assertThat(allocated(backend.allocate(single(owner(cluster, "team", "a"), IpFamily.IPV4))).addresses())
        .containsExactly(ip(area + "0.1"));
    assertThat(netbox.addresses()).filteredOn(a -> a.host().equals(area + "0.1")).singleElement()
        .satisfies(a -> assertThat(a.vrfId()).isEqualTo(vrf));
    assertThat(allocated(backend.allocate(single(owner(cluster, "other", "b"), IpFamily.IPV4))).addresses())
        .containsExactly(ip(area + "1.1"));
    Rejected broken = rejected(backend.allocate(single(owner(cluster, "broken", "c"), IpFamily.IPV4)));
    assertThat(broken.reason()).isEqualTo(RejectReason.INVALID_CONFIG);
    assertThat(broken.message()).contains(area + "9.0/24 not found in NetBox").contains("VRF \"no-such-vrf\" not found");
    Rejected v6 = rejected(backend.allocate(single(owner(cluster, "other", "d"), IpFamily.IPV6)));
    assertThat(v6.reason()).isEqualTo(RejectReason.NO_POOL);

    String emptyCluster = cluster();
    NetBoxBackend empty = backend(emptyCluster, Map.of());
    empty.configure(Optional.empty());
    assertThat(rejected(empty.allocate(single(owner(emptyCluster, "x", "y"), IpFamily.IPV4))).reason())
        .isEqualTo(RejectReason.NO_POOL);
  }

  @Test
  void aStaticAddressIsRecordedWithItsPrefixMaskAndATakenOneIsAClearConflict() {
    String area = area();
    netbox.createPrefix(area + "0.0/24");
    long foreign = netbox.createAddress(area + "0.9/24", null, "router of rack 7");
    String cluster = cluster();
    NetBoxBackend backend = backend(cluster, Map.of());
    backend.configure(Optional.of(Map.of("netbox-prefix-global", area + "0.0/24")));

    OwnerRef pinned = owner(cluster, "ns", "pinned");
    assertThat(backend.hold(new Holding(pinned, List.of(ip(area + "0.50")), List.of(), true))).isInstanceOf(HoldOutcome.Held.class);
    assertThat(claimedBy(pinned)).singleElement().satisfies(a -> assertThat(a.address()).isEqualTo(area + "0.50/24"));
    OwnerRef outside = owner(cluster, "ns", "outside");
    assertThat(backend.hold(new Holding(outside, List.of(ip("192.0.2.77")), List.of(), true))).isInstanceOf(HoldOutcome.Held.class);
    assertThat(claimedBy(outside)).singleElement().satisfies(a -> assertThat(a.address()).isEqualTo("192.0.2.77/32"));

    OwnerRef dhcp = owner(cluster, "ns", "dhcp");
    assertThat(backend.hold(new Holding(dhcp, List.of(ip("0.0.0.0")), List.of(), true))).isInstanceOf(HoldOutcome.Held.class);
    assertThat(claimedBy(dhcp)).as("kube-vip's DHCP placeholder is not an address").isEmpty();

    HoldOutcome taken = backend.hold(new Holding(owner(cluster, "ns", "clash"), List.of(ip(area + "0.9")), List.of(), true));
    assertThat(taken).isInstanceOf(HoldOutcome.Conflicted.class);
    HoldOutcome.Conflict conflict = ((HoldOutcome.Conflicted) taken).conflicts().get(0);
    assertThat(conflict.address()).isEqualTo(area + "0.9");
    assertThat(conflict.message()).contains("ip-address #" + foreign).contains("router of rack 7").contains("not moved");

    String otherCluster = cluster();
    NetBoxBackend other = backend(otherCluster, Map.of());
    HoldOutcome theirs = other.hold(new Holding(owner(otherCluster, "ns", "copy"), List.of(ip(area + "0.50")), List.of(), true));
    assertThat(theirs).isInstanceOf(HoldOutcome.Conflicted.class);
    HoldOutcome.Conflict clash = ((HoldOutcome.Conflicted) theirs).conflicts().get(0);
    assertThat(clash.otherOwner()).isEqualTo(pinned);
    assertThat(clash.message()).contains("Service ns/pinned of cluster " + cluster);
    assertThat(backend.allocate(single(owner(cluster, "ns", "next"), IpFamily.IPV4)))
        .satisfies(o -> assertThat(allocated(o).addresses()).containsExactly(ip(area + "0.1")));
  }

  @Test
  void holdIsCheapWhenNothingChangedAndFollowsAMovedAnnotation() {
    String area = area();
    netbox.createPrefix(area + "0.0/24");
    String cluster = cluster();
    NetBoxBackend backend = backend(cluster, Map.of());
    backend.configure(Optional.of(Map.of("netbox-prefix-global", area + "0.0/24")));
    OwnerRef web = owner(cluster, "ns", "web");
    IpAddress got = allocated(backend.allocate(single(web, IpFamily.IPV4))).addresses().get(0);
    netbox.resetCalls();
    for (int i = 0; i < 5; i++) {
      assertThat(backend.hold(new Holding(web, List.of(got), List.of(), true))).isInstanceOf(HoldOutcome.Held.class);
    }
    assertThat(netbox.calls()).as("holds answered from the claim cache").hasSizeLessThanOrEqualTo(1);

    assertThat(backend.hold(new Holding(web, List.of(ip(area + "0.77")), List.of(), true))).isInstanceOf(HoldOutcome.Held.class);
    assertThat(claimedBy(web)).singleElement().satisfies(a -> assertThat(a.host()).isEqualTo(area + "0.77"));
  }

  @Test
  void aLostAllocationReplyLeavesExactlyOneRecordAndNoLeak() {
    String area = area();
    netbox.createPrefix(area + "0.0/24");
    String cluster = cluster();
    NetBoxBackend backend = backend(cluster, Map.of());
    backend.configure(Optional.of(Map.of("netbox-prefix-global", area + "0.0/24")));
    OwnerRef web = owner(cluster, "ns", "web");
    netbox.resetCalls();
    netbox.loseReplies(1, HttpCall::isAllocation);

    Allocated got = allocated(backend.allocate(single(web, IpFamily.IPV4)));

    assertThat(got.addresses()).containsExactly(ip(area + "0.1"));
    assertThat(inArea(area)).singleElement().satisfies(a -> assertThat(a.customField("lbipam_claim")).isPresent());
    assertThat(netbox.countCalls(HttpCall::isAllocation)).isEqualTo(1);
    assertThat(backend.stats().events("claim_found_after_failure")).isEqualTo(1);
    assertThat(allocated(backend.allocate(single(owner(cluster, "ns", "next"), IpFamily.IPV4))).addresses())
        .containsExactly(ip(area + "0.2"));
  }

  @Test
  void aLostReplyOfAStaticCreateIsRecognisedAsOurs() {
    String area = area();
    String cluster = cluster();
    NetBoxBackend backend = backend(cluster, Map.of());
    backend.configure(Optional.of(Map.of()));
    OwnerRef pinned = owner(cluster, "ns", "pinned");
    netbox.loseReplies(1, HttpCall::isAddressCreate);
    assertThat(backend.hold(new Holding(pinned, List.of(ip(area + "5.5")), List.of(), true))).isInstanceOf(HoldOutcome.Held.class);
    assertThat(inArea(area)).hasSize(1);
  }

  @Test
  void releaseVerifiesOwnershipDeletesAndIsIdempotent() {
    String area = area();
    netbox.createPrefix(area + "0.0/24");
    String cluster = cluster();
    NetBoxBackend backend = backend(cluster, Map.of());
    backend.configure(Optional.of(Map.of("netbox-prefix-global", area + "0.0/24")));
    OwnerRef web = owner(cluster, "ns", "web");
    allocated(backend.allocate(single(web, IpFamily.IPV4)));
    backend.release(web);
    assertThat(inArea(area)).isEmpty();
    backend.release(web);
    backend.release(owner(cluster, "ns", "never-allocated"));

    OwnerRef taken = owner(cluster, "ns", "taken-over");
    allocated(backend.allocate(single(taken, IpFamily.IPV4)));
    long id = claimedBy(taken).get(0).id();
    netbox.setCustomField(id, "lbipam_claim", "someone-else/ns/x/y/ipv4");
    backend.release(taken);
    assertThat(inArea(area)).as("a record that is no longer ours is left alone").hasSize(1);
  }

  @Test
  void aRecordThatVanishedIsRecreatedOnRestoreButATakenAddressIsNeverMoved() {
    String area = area();
    netbox.createPrefix(area + "0.0/24");
    String cluster = cluster();
    Map<String, String> pools = Map.of("netbox-prefix-global", area + "0.0/24");
    NetBoxBackend backend = backend(cluster, Map.of());
    backend.configure(Optional.of(pools));
    OwnerRef a = owner(cluster, "ns", "a");
    OwnerRef b = owner(cluster, "ns", "b");
    IpAddress addressA = allocated(backend.allocate(single(a, IpFamily.IPV4))).addresses().get(0);
    IpAddress addressB = allocated(backend.allocate(single(b, IpFamily.IPV4))).addresses().get(0);

    netbox.deleteAddress(claimedBy(a).get(0).id());
    netbox.deleteAddress(claimedBy(b).get(0).id());
    long squatter = netbox.createAddress(addressB + "/24", null, "taken while lbipam looked away");

    assertThat(backend.retainOnly(Set.of(a, b))).isEmpty();
    assertThat(backend.needsRestore()).isTrue();
    assertThat(backend.hold(new Holding(a, List.of(addressA), List.of(), true))).isInstanceOf(HoldOutcome.Held.class);
    HoldOutcome clash = backend.hold(new Holding(b, List.of(addressB), List.of(), true));
    assertThat(clash).isInstanceOf(HoldOutcome.Conflicted.class);
    assertThat(((HoldOutcome.Conflicted) clash).conflicts().get(0).message()).contains("#" + squatter).contains("not moved");
    assertThat(claimedBy(a)).singleElement().satisfies(r -> assertThat(r.host()).isEqualTo(addressA.toString()));
    assertThat(backend.needsRestore()).isFalse();
  }

  @Test
  void garbageCollectionReleasesOrphansAfterTheGracePeriodButNeverAnotherClustersRecords() throws Exception {
    String area = area();
    netbox.createPrefix(area + "0.0/24");
    Map<String, String> pools = Map.of("netbox-prefix-global", area + "0.0/24");
    String mine = cluster();
    String theirs = cluster();
    NetBoxBackend a = backend(mine, Map.of("gc-grace", "PT1S"));
    NetBoxBackend b = backend(theirs, Map.of());
    a.configure(Optional.of(pools));
    b.configure(Optional.of(pools));
    OwnerRef live = owner(mine, "ns", "live");
    OwnerRef gone = owner(mine, "ns", "gone");
    OwnerRef other = owner(theirs, "ns", "gone");
    allocated(a.allocate(single(live, IpFamily.IPV4)));
    allocated(a.allocate(single(gone, IpFamily.IPV4)));
    allocated(b.allocate(single(other, IpFamily.IPV4)));
    netbox.createAddress(area + "0.200/24", null, "not lbipam's");

    assertThat(a.retainOnly(Set.of(live))).as("within the grace period").isEmpty();
    assertThat(claimedBy(gone)).hasSize(1);
    Thread.sleep(1100);
    assertThat(a.retainOnly(Set.of(live))).containsExactly(gone);
    assertThat(claimedBy(gone)).isEmpty();
    assertThat(claimedBy(live)).hasSize(1);
    assertThat(claimedBy(other)).as("another cluster's record").hasSize(1);
    assertThat(inArea(area)).hasSize(3);
    assertThat(a.retainOnly(Set.of())).as("a new orphan waits for its own grace period").isEmpty();
  }

  @Test
  void anOutageGivesBackendUnavailableOpensTheCircuitAndConvergesWithoutDuplicates() {
    String area = area();
    netbox.createPrefix(area + "0.0/24");
    String cluster = cluster();
    NetBoxBackend backend = backend(cluster, Map.of("circuit-open-duration", "PT2S"));
    backend.configure(Optional.of(Map.of("netbox-prefix-global", area + "0.0/24")));
    OwnerRef web = owner(cluster, "ns", "web");
    allocated(backend.allocate(single(owner(cluster, "ns", "before"), IpFamily.IPV4)));

    netbox.failRequests(503, -1);
    Rejected down = rejected(backend.allocate(single(web, IpFamily.IPV4)));
    assertThat(down.reason()).isEqualTo(RejectReason.BACKEND_UNAVAILABLE);
    assertThat(down.message()).contains("503");
    for (int i = 0; i < 3; i++) {
      backend.allocate(single(web, IpFamily.IPV4));
    }
    assertThat(backend.health().available()).isFalse();
    assertThat(backend.health().detail()).contains("circuit breaker open");
    assertThat(metric(backend, "circuit_state", Map.of("state", "open"))).isEqualTo(1.0);
    long callsWhileOpen = netbox.calls().size();
    assertThat(rejected(backend.allocate(single(web, IpFamily.IPV4))).message()).contains("circuit breaker is open");
    assertThat(netbox.calls()).as("an open circuit sends nothing").hasSize((int) callsWhileOpen);
    assertThat(backend.retainOnly(Set.of(web))).isEmpty();

    netbox.clearFaults();
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
        .until(() -> backend.allocate(single(web, IpFamily.IPV4)) instanceof Allocated);
    assertThat(backend.health().available()).isTrue();
    assertThat(claimedBy(web)).hasSize(1);
    assertThat(metric(backend, "calls", Map.of("operation", "lookup", "outcome", "server_error"))).isGreaterThan(0);
  }

  @Test
  void refusedConnectionsKeepHoldingsAndAskForARestoreWhenNetBoxReturns() {
    String area = area();
    netbox.createPrefix(area + "0.0/24");
    String cluster = cluster();
    NetBoxBackend backend = backend(cluster, Map.of());
    backend.configure(Optional.of(Map.of("netbox-prefix-global", area + "0.0/24")));
    OwnerRef kept = owner(cluster, "ns", "kept");

    netbox.stopListening();
    HoldOutcome held = backend.hold(new Holding(kept, List.of(ip(area + "0.60")), List.of(), true));
    assertThat(held).isInstanceOf(HoldOutcome.Unavailable.class);
    assertThat(((HoldOutcome.Unavailable) held).message()).contains("cannot connect");
    assertThat(rejected(backend.allocate(single(owner(cluster, "ns", "new"), IpFamily.IPV4))).reason())
        .isEqualTo(RejectReason.BACKEND_UNAVAILABLE);
    assertThatThrownBy(() -> backend.release(kept)).isInstanceOf(IpamException.class)
        .satisfies(e -> assertThat(((IpamException) e).retryable()).isTrue());
    assertThat(backend.needsRestore()).isFalse();

    netbox.startListening();
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> {
      backend.retainOnly(Set.of(kept));
      return backend.needsRestore();
    });
    assertThat(backend.hold(new Holding(kept, List.of(ip(area + "0.60")), List.of(), true))).isInstanceOf(HoldOutcome.Held.class);
    assertThat(claimedBy(kept)).singleElement().satisfies(a -> assertThat(a.host()).isEqualTo(area + "0.60"));
  }

  @Test
  void aSlowNetBoxTimesOutAsUnavailableAndTheClaimIsFoundLater() {
    String area = area();
    netbox.createPrefix(area + "0.0/24");
    String cluster = cluster();
    NetBoxBackend backend = backend(cluster, Map.of("read-timeout", "PT0.2S", "retry-attempts", "1"));
    backend.configure(Optional.of(Map.of("netbox-prefix-global", area + "0.0/24")));
    OwnerRef web = owner(cluster, "ns", "web");
    netbox.setLatency(Duration.ofMillis(400));
    Rejected slow = rejected(backend.allocate(single(web, IpFamily.IPV4)));
    assertThat(slow.reason()).isEqualTo(RejectReason.BACKEND_UNAVAILABLE);
    netbox.clearFaults();
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
        .until(() -> backend.allocate(single(web, IpFamily.IPV4)) instanceof Allocated);
    assertThat(claimedBy(web)).hasSize(1);
  }

  @Test
  void twoClustersAllocatingConcurrentlyFromOnePrefixNeverGetTheSameAddress() throws Exception {
    String area = area();
    netbox.createPrefix(area + "0.0/26");
    Map<String, String> pools = Map.of("netbox-prefix-global", area + "0.0/26");
    String c1 = cluster();
    String c2 = cluster();
    NetBoxBackend one = backend(c1, Map.of());
    NetBoxBackend two = backend(c2, Map.of());
    one.configure(Optional.of(pools));
    two.configure(Optional.of(pools));
    netbox.setLatency(Duration.ofMillis(2));
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<AllocationOutcome>> futures = new ArrayList<>();
      for (int i = 0; i < 35; i++) {
        int n = i;
        futures.add(pool.submit(() -> one.allocate(single(owner(c1, "ns", "svc" + n), IpFamily.IPV4))));
        futures.add(pool.submit(() -> two.allocate(single(owner(c2, "ns", "svc" + n), IpFamily.IPV4))));
      }
      List<IpAddress> addresses = new ArrayList<>();
      int exhausted = 0;
      for (Future<AllocationOutcome> f : futures) {
        AllocationOutcome o = f.get();
        if (o instanceof Allocated a) {
          addresses.addAll(a.addresses());
        } else {
          assertThat(((Rejected) o).reason()).isEqualTo(RejectReason.POOL_EXHAUSTED);
          exhausted++;
        }
      }
      assertThat(addresses).hasSize(62).doesNotHaveDuplicates();
      assertThat(exhausted).isEqualTo(8);
      assertThat(new HashSet<>(inArea(area).stream().map(RecordedAddress::host).toList())).hasSize(62);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void setUpFailsAtStartWithAMessageNamingTheMissingPermission() {
    try (NetBoxStandIn fresh = NetBoxStandIn.start()) {
      Set<String> permissions = new HashSet<>(NetBoxStandIn.allPermissions());
      permissions.remove("extras.add_customfield");
      String token = "feedfacefeedfacefeedfacefeedfacefeedface";
      fresh.addToken(token, permissions);
      assertThatThrownBy(() -> backend(fresh, cluster(), Map.of(), token))
          .isInstanceOf(IpamException.class)
          .hasMessageContaining("extras.add_customfield")
          .hasMessageContaining("lbipam_claim")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain(token));
      assertThatThrownBy(() -> backend(fresh, cluster(), Map.of(), "nbt_wrong.key"))
          .isInstanceOf(IpamException.class).hasMessageContaining("403").hasMessageContaining("netbox-token");
    }
  }

  @Test
  void maintenanceCountsEachPoolsRecordsForThePoolMetricsAndKeepsTheLastCountsDuringAnOutage() {
    String area = area();
    netbox.createPrefix(area + "0.0/28");
    netbox.createRange(area + "1.10/24", area + "1.19/24", null, false);
    String cluster = cluster();
    NetBoxBackend backend = backend(netbox, cluster, Map.of(), NetBoxStandIn.LEGACY_TOKEN);
    backend.configure(Optional.of(Map.of("netbox-prefix-global", area + "0.0/28", "netbox-range-ns",
        area + "1.10-" + area + "1.19")));
    assertThat(backend.poolStats()).as("nothing counted before the first round").isEmpty();
    for (int i = 0; i < 3; i++) {
      allocated(backend.allocate(single(owner(cluster, "other", "s" + i), IpFamily.IPV4)));
    }
    allocated(backend.allocate(single(owner(cluster, "ns", "r"), IpFamily.IPV4)));
    netbox.createAddress(area + "0.9/28", null, "someone else's");
    backend.maintain();
    assertThat(backend.poolStats()).containsExactly(
        new PoolStats("netbox-prefix-global", IpFamily.IPV4, java.math.BigInteger.valueOf(14), 4),
        new PoolStats("netbox-range-ns", IpFamily.IPV4, java.math.BigInteger.TEN, 1));

    netbox.stopListening();
    try {
      backend.maintain();
      assertThat(backend.poolStats()).as("the last counts stay").hasSize(2);
    } finally {
      netbox.startListening();
    }
  }

  @Test
  void aV2BearerTokenWorks() {
    String area = area();
    netbox.createPrefix(area + "0.0/24");
    String cluster = cluster();
    NetBoxBackend backend = backend(netbox, cluster, Map.of(), NetBoxStandIn.V2_TOKEN);
    backend.configure(Optional.of(Map.of("netbox-prefix-global", area + "0.0/24")));
    assertThat(allocated(backend.allocate(single(owner(cluster, "ns", "v2"), IpFamily.IPV4))).addresses()).hasSize(1);
  }

  @Test
  void tlsWithACustomCaFileWorks(@TempDir Path dir) {
    try (NetBoxStandIn tls = NetBoxStandIn.builder().tls(dir).start()) {
      tls.createPrefix("10.250.0.0/24");
      String cluster = cluster();
      NetBoxBackend backend = backend(tls, cluster, Map.of("tls-ca-file", tls.caCertificate().toString()), NetBoxStandIn.LEGACY_TOKEN);
      backend.configure(Optional.of(Map.of("netbox-prefix-global", "10.250.0.0/24")));
      assertThat(allocated(backend.allocate(single(owner(cluster, "ns", "tls"), IpFamily.IPV4))).addresses())
          .containsExactly(ip("10.250.0.1"));
      assertThat(tls.url()).startsWith("https://");

      NetBoxBackend untrusting = backend(tls, cluster(), Map.of(), NetBoxStandIn.LEGACY_TOKEN);
      assertThat(untrusting.health().available()).isFalse();
    }
  }

  @Test
  void theStandInDropsARequestOnAConnectionIdlePastTheKeepAliveAsGunicornDoes() throws Exception {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", netbox.port())) {
      socket.setSoTimeout(10_000);
      byte[] request = ("GET /api/status/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token "
          + NetBoxStandIn.LEGACY_TOKEN + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      java.io.InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
      socket.getOutputStream().write(request);
      assertThat(readResponse(in)).as("the first reply").startsWith("HTTP/1.1 200");
      socket.getOutputStream().write(request);
      assertThat(readResponse(in)).as("a prompt second request is answered").startsWith("HTTP/1.1 200");
      Thread.sleep(NetBoxStandIn.IDLE_CLOSE.plusMillis(500).toMillis());
      socket.getOutputStream().write(request);
      assertThat(in.read()).as("after the keep-alive: no answer, the connection is closed").isEqualTo(-1);
    }
  }

  @Test
  void aNewConnectionFromTheClientPortOfAnIdleOneThatClosedIsServed() throws Exception {
    byte[] request = ("GET /api/status/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token "
        + NetBoxStandIn.LEGACY_TOKEN + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    int clientPort;
    try (java.net.Socket first = new java.net.Socket()) {
      first.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0));
      first.connect(new java.net.InetSocketAddress("127.0.0.1", netbox.port()));
      first.setSoTimeout(10_000);
      clientPort = first.getLocalPort();
      first.getOutputStream().write(request);
      assertThat(readResponse(new java.io.BufferedInputStream(first.getInputStream()))).startsWith("HTTP/1.1 200");
      first.setSoLinger(true, 0); // a reset: no TIME_WAIT, so the port is free at once
    }
    Thread.sleep(NetBoxStandIn.IDLE_CLOSE.plusMillis(500).toMillis());
    try (java.net.Socket second = new java.net.Socket()) {
      second.setReuseAddress(true);
      second.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), clientPort));
      second.connect(new java.net.InetSocketAddress("127.0.0.1", netbox.port()));
      second.setSoTimeout(10_000);
      second.getOutputStream().write(request);
      assertThat(readResponse(new java.io.BufferedInputStream(second.getInputStream())))
          .as("the first request of a new connection from port %d", clientPort).startsWith("HTTP/1.1 200");
    }
  }

  /** One whole HTTP/1.1 response (a reply can arrive in several reads), or "" at end of stream. */
  private static String readResponse(java.io.InputStream in) throws java.io.IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        return head.toString();
      }
      head.append((char) b);
    }
    java.util.regex.Matcher length = java.util.regex.Pattern
        .compile("(?im)^content-length:\\s*(\\d+)").matcher(head);
    assertThat(length.find()).as("a Content-Length in %s", head).isTrue();
    byte[] body = in.readNBytes(Integer.parseInt(length.group(1)));
    return head + new String(body, java.nio.charset.StandardCharsets.UTF_8);
  }

  @Test
  void withAKeepAliveLongerThanTheServersWritesAfterIdleFail() throws Exception {
    // What the default keep-alive prevents (NetBoxContractIT checks that, here and on real NetBox).
    try (NetBoxTarget target = NetBoxTarget.on(netbox)) {
      assertThat(NetBoxContractIT.writesAfterIdle(target, Map.of("keep-alive", "PT30S"), 3)).isPositive();
    }
  }

  @Test
  void aBurstAfterAnIdlePeriodFailsNoCallAndLeavesTheCircuitClosed() throws Exception {
    String area = area();
    netbox.createPrefix(area + "0.0/24");
    String cluster = cluster();
    NetBoxBackend backend = backend(cluster, Map.of());
    backend.configure(Optional.of(Map.of("netbox-prefix-global", area + "0.0/24")));
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(6);
    try {
      for (int round = 0; round < 2; round++) {
        if (round > 0) {
          Thread.sleep(NetBoxStandIn.IDLE_CLOSE.plusSeconds(1).toMillis());
        }
        List<java.util.concurrent.Future<AllocationOutcome>> burst = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
          OwnerRef owner = owner(cluster, "ns", "burst-" + round + "-" + i);
          burst.add(pool.submit(() -> backend.allocate(single(owner, IpFamily.IPV4))));
        }
        for (var outcome : burst) {
          allocated(outcome.get());
        }
      }
    } finally {
      pool.shutdown();
    }
    assertThat(backend.metrics()).filteredOn(m -> m.name().equals("calls") && !m.labels().get("outcome").equals("ok"))
        .as("failed calls").isEmpty();
    assertThat(metric(backend, "circuit_state", Map.of("state", "closed"))).isEqualTo(1.0);
  }

  @Test
  void aNetBoxThatDropsOurClaimFieldIsDetectedAndTheAddressNotUsed() {
    try (NetBoxStandIn old = NetBoxStandIn.builder().version("4.5.7").start()) {
      String area = area();
      old.createPrefix(area + "0.0/24");
      String cluster = cluster();
      NetBoxBackend backend = backend(old, cluster, Map.of(), NetBoxStandIn.LEGACY_TOKEN);
      backend.configure(Optional.of(Map.of("netbox-prefix-global", area + "0.0/24")));
      allocated(backend.allocate(single(owner(cluster, "ns", "before"), IpFamily.IPV4)));
      // An administrator deletes the claim field; NetBox before 4.5.8 then drops its value silently.
      old.deleteCustomField("lbipam_claim");
      Rejected rejected = rejected(backend.allocate(single(owner(cluster, "ns", "after"), IpFamily.IPV4)));
      assertThat(rejected.reason()).isEqualTo(RejectReason.INVALID_CONFIG);
      assertThat(rejected.message()).contains("without our claim").contains("lbipam_claim");
      assertThat(old.addresses()).as("the unclaimed record was deleted, only the first one is left").hasSize(1)
          .allSatisfy(a -> assertThat(a.customField("lbipam_claim")).isPresent());
      assertThat(backend.metrics()).filteredOn(m -> m.name().equals("events")
          && m.labels().get("event").equals("claim_dropped_by_netbox")).singleElement()
          .extracting(BackendMetric::value).isEqualTo(1.0);
    }
  }

  @Test
  void metricsReportCallLatencyErrorsAndCircuitState() {
    String area = area();
    netbox.createPrefix(area + "0.0/24");
    String cluster = cluster();
    NetBoxBackend backend = backend(cluster, Map.of());
    backend.configure(Optional.of(Map.of("netbox-prefix-global", area + "0.0/24")));
    allocated(backend.allocate(single(owner(cluster, "ns", "m"), IpFamily.IPV4)));
    assertThat(metric(backend, "calls", Map.of("operation", "allocate", "outcome", "ok"))).isEqualTo(1.0);
    assertThat(backend.histograms()).filteredOn(h -> h.labels().equals(Map.of("operation", "allocate"))).singleElement()
        .satisfies(h -> {
          assertThat(h.name()).isEqualTo("call_duration_seconds");
          assertThat(h.count()).isEqualTo(1);
          assertThat(h.sum()).isGreaterThan(0.0);
        });
    assertThat(metric(backend, "circuit_state", Map.of("state", "closed"))).isEqualTo(1.0);
    assertThat(metric(backend, "netbox_setup_done", Map.of())).isEqualTo(1.0);
    assertThat(backend.metrics()).allMatch(m -> !m.name().contains(" "));
  }

  private static double metric(NetBoxBackend backend, String name, Map<String, String> labels) {
    return backend.metrics().stream()
        .filter(m -> m.name().equals(name) && m.labels().equals(labels))
        .mapToDouble(BackendMetric::value).findFirst().orElse(-1);
  }
}
