package dev.lbipam.controller;

import dev.lbipam.testsupport.KubeApiServer;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.NetworkingV1Api;
import io.kubernetes.client.openapi.models.V1IPAddress;
import io.kubernetes.client.openapi.models.V1IPAddressSpec;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1ParentReference;

/**
 * What an address claim costs every other Service create in the cluster, as an {@code IPAddress}
 * object (ADR 0008) and as an {@code AddressClaim} (ADR 0016). kube-apiserver's ClusterIP allocator
 * lists every {@code IPAddress} in its cache after each allocation (for its used/free metrics), so
 * each such object makes every Service create a little dearer, whoever made the object. No
 * controller runs: rounds of Service creates ({@value #ROUND}, by the end-to-end benchmark's
 * threads) alternate with adding claims of either kind.
 *
 * <p>{@code BENCH=ipaddress dev/bench.sh [objects per step, default 10000]}
 */
public final class IpAddressCostBenchmark {
  static final int ROUND = 1000;

  private IpAddressCostBenchmark() {}

  public static void main(String[] args) throws Exception {
    int step = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    try (KubeApiServer server = KubeApiServer.builder().serviceClusterIpRange("10.96.0.0/12,fd00:10:96::/108").start()) {
      ApiClient admin = server.adminClient();
      TestServices kube = new TestServices(admin);
      NetworkingV1Api networking = new NetworkingV1Api(admin);
      Manifests.installPrerequisites(admin);
      var custom = new io.kubernetes.client.openapi.apis.CustomObjectsApi(admin);
      String filler = kube.createNamespace("filler");
      System.out.printf("IpAddressCostBenchmark: rounds of %d Service creates (%d threads); %d objects added per step%n",
          ROUND, EndToEndBenchmark.THREADS, step);
      System.out.printf("%-44s %8s %8s %8s %10s%n", "round (objects added before it)", "total s", "p50 ms", "p99 ms", "IPAddresses");
      int addressClaims = 0;
      int claims = 0;
      int round = 0;
      String[] plan = {"none", "addressclaims", "ipaddresses", "addressclaims", "ipaddresses"};
      for (String add : plan) {
        if (add.equals("addressclaims")) {
          int from = addressClaims;
          EndToEndBenchmark.parallel(step, i -> () -> {
            String name = "198.20." + ((from + i) / 250) % 256 + "." + (1 + (from + i) % 250);
            custom.createClusterCustomObject(AddressClaimObject.GROUP, AddressClaimObject.VERSION, AddressClaimObject.PLURAL,
                new AddressClaimObject().metadata(new V1ObjectMeta().name(name)).spec(new AddressClaimObject.Spec()
                    .address(name).holders(java.util.List.of(new AddressClaimObject.HolderEntry(filler, "svc-" + (from + i),
                        "uid-" + (from + i), java.util.List.of("TCP/80")))))).execute();
            return null;
          });
          addressClaims += step;
        } else if (add.equals("ipaddresses")) {
          int from = claims;
          EndToEndBenchmark.parallel(step, i -> () -> {
            networking.createIPAddress(claimShaped(from + i, filler)).execute();
            return null;
          });
          claims += step;
        }
        String ns = kube.createNamespace("round-" + round);
        long[] latencies = new long[ROUND];
        long start = System.nanoTime();
        long end = EndToEndBenchmark.parallel(ROUND, i -> () -> {
          long sent = System.nanoTime();
          kube.create(EndToEndBenchmark.service(ns, i));
          latencies[i] = System.nanoTime() - sent;
          return null;
        });
        int ipAddresses = networking.listIPAddress().execute().getItems().size();
        System.out.printf("%-44s %8.2f %8.1f %8.1f %10d%n",
            round + ": +" + add + " (" + addressClaims + " AddressClaims, " + claims + " IPAddresses)", (end - start) / 1e9,
            EndToEndBenchmark.percentile(latencies, 0.5) / 1e6, EndToEndBenchmark.percentile(latencies, 0.99) / 1e6,
            ipAddresses);
        round++;
      }
    }
  }

  /** Shaped like the controller's claims: named by a (test-net) address, our label, a parent Service. */
  private static V1IPAddress claimShaped(int i, String namespace) {
    String address = "198.18." + (i / 250) % 256 + "." + (1 + i % 250);
    if (i >= 250 * 256) {
      address = "198.19." + (i / 250 - 256) % 256 + "." + (1 + i % 250);
    }
    return new V1IPAddress()
        .metadata(new V1ObjectMeta().name(address)
            .putLabelsItem("ipaddress.kubernetes.io/managed-by", "lbipam.dev")
            .putAnnotationsItem("lbipam.dev/holders", "[]"))
        .spec(new V1IPAddressSpec().parentRef(
            new V1ParentReference().group("").resource("services").namespace(namespace).name("svc-" + i)));
  }
}
