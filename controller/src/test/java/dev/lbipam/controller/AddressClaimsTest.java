package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.controller.AddressClaim.Holder;
import dev.lbipam.ipam.spi.PortKey;
import dev.lbipam.ipam.spi.net.IpAddress;
import io.kubernetes.client.openapi.models.V1IPAddress;
import io.kubernetes.client.openapi.models.V1IPAddressSpec;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1ParentReference;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How claims are named, encoded and read back from IPAddress objects; no API server needed. */
class AddressClaimsTest {
  static V1IPAddress object(String name, String managedBy, String holders) {
    V1ObjectMeta meta = new V1ObjectMeta().name(name).resourceVersion("42");
    if (managedBy != null) {
      meta.putLabelsItem(AddressClaims.MANAGED_BY_LABEL, managedBy);
    }
    if (holders != null) {
      meta.putAnnotationsItem(AddressClaims.HOLDERS_ANNOTATION, holders);
    }
    return new V1IPAddress().metadata(meta).spec(new V1IPAddressSpec()
        .parentRef(new V1ParentReference().group("").resource("services").namespace("ns").name("web")));
  }

  @Test
  void aClaimIsNamedByTheCanonicalTextTheApiServerDemands() {
    assertThat(AddressClaim.nameOf(IpAddress.parse("10.0.0.1"))).isEqualTo("10.0.0.1");
    assertThat(AddressClaim.nameOf(IpAddress.parse("::ffff:10.0.0.1"))).as("one host, one claim").isEqualTo("10.0.0.1");
    assertThat(AddressClaim.nameOf(IpAddress.parse("2001:DB8:0:0:0:0:0:1"))).isEqualTo("2001:db8::1");
  }

  @Test
  void holdersRoundTripThroughTheAnnotation() {
    List<Holder> holders = List.of(
        new Holder("ns", "web", "u1", List.of(new PortKey("TCP", 80), new PortKey("UDP", 53))),
        new Holder("ns", "bare", "u2", List.of()));
    assertThat(AddressClaims.decode(AddressClaims.encode(holders))).isEqualTo(holders);
  }

  @Test
  void anObjectOfOursBecomesAClaimWithItsHolders() {
    String holders = AddressClaims.encode(List.of(new Holder("ns", "web", "u1", List.of(new PortKey("TCP", 80)))));
    AddressClaim claim = AddressClaims.toClaim(object("10.0.0.1", AddressClaims.MANAGED_BY, holders)).orElseThrow();
    assertThat(claim.isOurs()).isTrue();
    assertThat(claim.resourceVersion()).isEqualTo("42");
    assertThat(claim.heldBy("u1")).isTrue();
    assertThat(claim.describeHolder()).isEqualTo("Service ns/web");
  }

  @Test
  void anObjectOfTheClusterIpAllocatorIsSomeoneElsesClaim() {
    AddressClaim claim = AddressClaims.toClaim(object("10.0.0.1", "ipallocator.k8s.io", null)).orElseThrow();
    assertThat(claim.isOurs()).isFalse();
    assertThat(claim.holders()).isEmpty();
    assertThat(claim.describeHolder()).startsWith("the ClusterIP of Service ns/web");
  }

  @Test
  void anUnreadableHolderListFallsBackToTheParentWithAnUnknownUid() {
    AddressClaim claim = AddressClaims.toClaim(object("10.0.0.1", AddressClaims.MANAGED_BY, "{not json")).orElseThrow();
    assertThat(claim.holders()).containsExactly(new Holder("ns", "web", "", List.of()));
  }

  @Test
  void anObjectWhoseNameIsNoAddressIsIgnored() {
    assertThat(AddressClaims.toClaim(object("not-an-ip", AddressClaims.MANAGED_BY, null))).isEqualTo(Optional.empty());
  }

  @Test
  void theIndexAnswersWhoHoldsWhatAndIgnoresAnOlderEcho() {
    AddressClaims claims = new AddressClaims(new io.kubernetes.client.openapi.ApiClient());
    String holders = AddressClaims.encode(List.of(new Holder("ns", "web", "u1", List.of())));
    V1IPAddress newer = object("10.0.0.1", AddressClaims.MANAGED_BY, holders);
    claims.observed(newer);
    assertThat(claims.addressesOf("u1")).containsExactly(IpAddress.parse("10.0.0.1"));

    V1IPAddress older = object("10.0.0.1", AddressClaims.MANAGED_BY, AddressClaims.encode(List.of()));
    older.getMetadata().resourceVersion("41");
    claims.observed(older);
    claims.observedDeleted(older);
    assertThat(claims.addressesOf("u1")).as("a late echo of an older version changes nothing").hasSize(1);

    claims.observedDeleted(newer);
    assertThat(claims.addressesOf("u1")).isEmpty();
    assertThat(claims.size()).isZero();
  }
}
