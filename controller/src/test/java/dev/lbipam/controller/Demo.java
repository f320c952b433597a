package dev.lbipam.controller;

import dev.lbipam.controller.TestServices.Port;
import dev.lbipam.testsupport.KubeApiServer;
import io.kubernetes.client.openapi.models.V1Service;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The README's first command: a local API server, the controller in ConfigMap mode, the example
 * ConfigMap, a handful of Services, and the addresses they got. Exits non-zero if any is missing.
 */
public final class Demo {
  public static void main(String[] args) throws Exception {
    try (KubeApiServer server = KubeApiServer.start()) {
      System.out.println("API server " + server.url() + " (etcd + kube-apiserver, loopback only)");
      Manifests.installPrerequisites(server.adminClient());
      Manifests.create(server.adminClient(), Manifests.load("configmap-example.yaml"), false);
      TestServices kube = new TestServices(server.adminClient());
      kube.createNamespace("team-a");
      int code;
      try (ControllerProcess controller = ControllerProcess.start(server, "demo")) {
        controller.httpPort();
        List<V1Service> services =
            List.of(
                TestServices.loadBalancer("default", "web"),
                TestServices.dualStack(TestServices.loadBalancer("default", "dual"), "RequireDualStack", "IPv4", "IPv6"),
                TestServices.dualStack(TestServices.loadBalancer("default", "v6-only"), "SingleStack", "IPv6"),
                TestServices.withPorts(TestServices.loadBalancer("team-a", "dns-tcp"), new Port("TCP", 53)),
                TestServices.withPorts(TestServices.loadBalancer("team-a", "dns-udp"), new Port("UDP", 53)),
                TestServices.withPorts(TestServices.loadBalancer("team-a", "dns-tcp-2"), new Port("TCP", 53)));
        for (V1Service service : services) {
          kube.create(service);
        }
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        code = 0;
        System.out.printf("%n%-10s %-10s %-18s %s%n", "NAMESPACE", "SERVICE", "POLICY", "ADDRESSES");
        for (V1Service service : services) {
          String ns = service.getMetadata().getNamespace();
          String name = service.getMetadata().getName();
          Optional<String> addresses = kube.addresses(ns, name);
          while (addresses.isEmpty() && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
            addresses = kube.addresses(ns, name);
          }
          String policy = Optional.ofNullable(service.getSpec().getIpFamilyPolicy()).orElse("SingleStack");
          System.out.printf("%-10s %-10s %-18s %s%n", ns, name, policy, addresses.orElse("<none>"));
          if (addresses.isEmpty()) {
            code = 1;
          }
        }
        System.out.println();
        System.out.println("team-a draws from cidr-team-a, everything else from cidr-global.");
        System.out.println("dns-tcp and dns-udp share one address (allow-share-team-a; TCP/53 and UDP/53 differ);");
        System.out.println("dns-tcp-2 clashes with dns-tcp on TCP/53, so it gets an address of its own.");
        controller.stop();
        System.out.println("controller stopped cleanly");
      }
      if (code != 0) {
        System.exit(code);
      }
    }
  }
}
