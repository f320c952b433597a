package dev.lbipam.ipam.netbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.net.IpFamily;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClaimKeyTest {

  @Test
  void aClaimIsReadableAndReadsBack() {
    ClaimKey key = new ClaimKey(new OwnerRef("prod-1", "shop", "web", "6f1c-22"), IpFamily.IPV6);
    assertThat(key.text()).isEqualTo("prod-1/shop/web/6f1c-22/ipv6");
    assertThat(ClaimKey.parse(key.text())).contains(key);
  }

  @Test
  void onlyTheUidMayHoldASlashAsTheStandInOwnersDo() {
    ClaimKey standIn = new ClaimKey(new OwnerRef("prod-1", "shop", "web", "claim/10.0.0.1"), IpFamily.IPV4);
    assertThat(standIn.text()).isEqualTo("prod-1/shop/web/claim/10.0.0.1/ipv4");
    assertThat(ClaimKey.parse(standIn.text())).contains(standIn);
    assertThat(standIn.readsBack()).isTrue();
    assertThat(new ClaimKey(new OwnerRef("prod-1", "", "nobody", "claim/10.0.0.1"), IpFamily.IPV4).readsBack()).isFalse();
    assertThat(new ClaimKey(new OwnerRef("prod-1", "shop", "Service a/b", "claim/10.0.0.1"), IpFamily.IPV4).readsBack())
        .isFalse();
  }

  @ParameterizedTest(name = "\"{0}\" is not a claim")
  @ValueSource(strings = {"", "a/b/c/d", "a/b/c/d/ipv5", "/b/c/d/ipv4", "a//c/d/ipv4", "a/b/c/d/IPV4"})
  void anythingElseIsNotAClaim(String text) {
    assertThat(ClaimKey.parse(text)).isEmpty();
  }

  @Test
  void nullIsNotAClaim() {
    assertThat(ClaimKey.parse(null)).isEqualTo(Optional.empty());
  }

  @Test
  void theDnsNameIsNameDotNamespaceBecauseNetBoxRejectsSlashes() {
    OwnerRef owner = new OwnerRef("c", "shop", "web", "u");
    assertThat(NetBoxBackend.dnsName(owner, Optional.empty())).isEqualTo("web.shop");
    assertThat(NetBoxBackend.dnsName(owner, Optional.of("k8s.example.com"))).isEqualTo("web.shop.k8s.example.com");
  }
}
