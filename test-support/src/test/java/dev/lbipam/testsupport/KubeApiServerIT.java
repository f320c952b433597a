package dev.lbipam.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.AuthenticationV1Api;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1SelfSubjectReview;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServicePort;
import io.kubernetes.client.openapi.models.V1ServiceSpec;
import io.kubernetes.client.openapi.models.V1UserInfo;
import io.kubernetes.client.util.ClientBuilder;
import io.kubernetes.client.util.KubeConfig;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class KubeApiServerIT {

  static final String SA_NS = KubeApiServer.DEFAULT_SA_NAMESPACE;
  static final String SA_NAME = KubeApiServer.DEFAULT_SA_NAME;
  static final String SA_USER = "system:serviceaccount:" + SA_NS + ":" + SA_NAME;

  @RegisterExtension
  static final KubeApiServerExtension kube = new KubeApiServerExtension(
      KubeApiServer.builder().serviceAccount("lbipam-system", "lbipam"));

  @TempDir Path tmp;

  @Test
  void adminCreatesNamespaceAndConfigMap() throws Exception {
    CoreV1Api admin = new CoreV1Api(kube.server().adminClient());
    String ns = kube.server().createNamespace("Admin_Test");

    assertThat(ns).matches("admin-test-[a-z0-9]{6}");
    admin.createNamespacedConfigMap(ns, new V1ConfigMap()
            .metadata(new V1ObjectMeta().name("kubevip"))
            .data(Map.of("cidr-global", "192.168.0.200/29")))
        .execute();

    V1ConfigMap read = admin.readNamespacedConfigMap("kubevip", ns).execute();
    assertThat(read.getData()).containsEntry("cidr-global", "192.168.0.200/29");
  }

  @Test
  void serviceAccountWithoutRbacIsForbidden() throws Exception {
    ApiClient client = kube.server().clientAs(SA_NS, SA_NAME);

    V1UserInfo me = whoAmI(client);
    assertThat(me.getUsername()).isEqualTo(SA_USER);
    assertThat(me.getGroups()).contains("system:serviceaccounts",
        "system:serviceaccounts:" + SA_NS, "system:authenticated");

    ApiException e = catchThrowableOfType(ApiException.class,
        () -> new CoreV1Api(client).listNamespacedSecret(SA_NS).execute());
    assertThat(e.getCode()).isEqualTo(403);
    assertThat(e.getResponseBody()).contains(SA_USER);
  }

  @Test
  void extraServiceAccountHasItsOwnIdentity() throws Exception {
    V1UserInfo me = whoAmI(kube.server().clientAs("lbipam-system", "lbipam"));

    assertThat(me.getUsername()).isEqualTo("system:serviceaccount:lbipam-system:lbipam");
  }

  @Test
  void impersonatedServiceAccountIsForbidden() throws Exception {
    ApiClient client = kube.server().impersonating(SA_USER);

    V1UserInfo me = whoAmI(client);
    assertThat(me.getUsername()).isEqualTo(SA_USER);

    ApiException e = catchThrowableOfType(ApiException.class,
        () -> new CoreV1Api(client).listNamespacedSecret(SA_NS).execute());
    assertThat(e.getCode()).isEqualTo(403);
    assertThat(e.getResponseBody()).contains(SA_USER);
  }

  @Test
  void impersonationSendsEveryGroup() throws Exception {
    ApiClient client = kube.server().impersonating("someone", "team-a", "system:masters");

    V1UserInfo me = whoAmI(client);
    assertThat(me.getUsername()).isEqualTo("someone");
    assertThat(me.getGroups()).contains("team-a", "system:masters");
    // system:masters may do anything
    new CoreV1Api(client).listNamespacedSecret(SA_NS).execute();
  }

  @Test
  void adminKubeconfigLoadsWithClientJava() throws Exception {
    Path file = kube.server().adminKubeconfig();

    ApiClient client;
    try (Reader reader = Files.newBufferedReader(file)) {
      client = ClientBuilder.kubeconfig(KubeConfig.loadKubeConfig(reader)).build();
    }

    List<String> names = new CoreV1Api(client).listNamespace().execute().getItems().stream()
        .map(V1Namespace::getMetadata).map(V1ObjectMeta::getName).toList();
    assertThat(names).contains("default", "kube-system");
  }

  @Test
  void serviceAccountKubeconfigAuthenticatesAsTheServiceAccount() throws Exception {
    Path file = kube.server().writeKubeconfig(tmp.resolve("sub/sa.kubeconfig"), SA_NS, SA_NAME);

    ApiClient client;
    try (Reader reader = Files.newBufferedReader(file)) {
      client = ClientBuilder.kubeconfig(KubeConfig.loadKubeConfig(reader)).build();
    }

    assertThat(whoAmI(client).getUsername()).isEqualTo(SA_USER);
  }

  @Test
  void dualStackServicesAreAccepted() throws Exception {
    CoreV1Api admin = new CoreV1Api(kube.server().adminClient());
    String ns = kube.server().createNamespace("dual");

    V1Service created = admin.createNamespacedService(ns, new V1Service()
            .metadata(new V1ObjectMeta().name("lb"))
            .spec(new V1ServiceSpec().type("LoadBalancer").ipFamilyPolicy("RequireDualStack")
                .ports(List.of(new V1ServicePort().port(80)))))
        .execute();

    assertThat(created.getSpec().getIpFamilies()).containsExactly("IPv4", "IPv6");
    assertThat(created.getSpec().getClusterIPs()).hasSize(2);
  }

  @Test
  void resolvesTheServerAsParameter(KubeApiServer server) {
    assertThat(server).isSameAs(kube.server());
    assertThat(server.url().toString()).startsWith("https://127.0.0.1:");
  }

  @Test
  void aNewServerStartsFromTheEtcdDataAnEarlierOneKept() throws Exception {
    Path kept = tmp.resolve("etcd-data");
    String ns;
    try (KubeApiServer filled = KubeApiServer.builder().keepEtcdDataIn(kept).start()) {
      ns = filled.createNamespace("kept");
      new CoreV1Api(filled.adminClient()).createNamespacedConfigMap(ns,
          new V1ConfigMap().metadata(new V1ObjectMeta().name("pools")).data(Map.of("cidr-global", "10.1.0.0/24"))).execute();
    }
    assertThat(kept.resolve("member")).isDirectory();

    for (int round = 0; round < 2; round++) {
      try (KubeApiServer restored = KubeApiServer.builder().etcdDataFrom(kept).start()) {
        CoreV1Api api = new CoreV1Api(restored.adminClient());
        assertThat(api.readNamespacedConfigMap("pools", ns).execute().getData()).containsEntry("cidr-global", "10.1.0.0/24");
        api.deleteNamespacedConfigMap("pools", ns).execute();
      }
    }
    assertThat(catchThrowableOfType(IllegalArgumentException.class,
        () -> KubeApiServer.builder().etcdDataFrom(tmp)).getMessage()).contains("not an etcd data directory");
  }

  @Test
  void twoServersRunAtOnceAndCloseCleanly() throws Exception {
    KubeApiServer first = kube.server();
    String ns = first.createNamespace("only-in-first");
    Path runDir;

    try (KubeApiServer second = KubeApiServer.start()) {
      runDir = second.runDirectory();
      assertThat(second.url()).isNotEqualTo(first.url());
      List<String> names = new CoreV1Api(second.adminClient()).listNamespace().execute()
          .getItems().stream().map(n -> n.getMetadata().getName()).toList();
      assertThat(names).contains("default").doesNotContain(ns);
    }

    assertThat(runDir).doesNotExist();
    new CoreV1Api(first.adminClient()).readNamespace(ns).execute();
  }

  @Test
  void failedStartReportsTheLogTail() {
    IllegalStateException e = catchThrowableOfType(IllegalStateException.class,
        () -> KubeApiServer.builder().apiServerArg("--no-such-flag").start());

    assertThat(e.getMessage())
        .contains("kube-apiserver exited with code")
        .contains("last 40 lines of kube-apiserver.log")
        .contains("unknown flag: --no-such-flag");
    assertThat(e.getMessage()).containsPattern("run dir: (\\S+)");
    String runDir = e.getMessage().replaceAll("(?s).*run dir: (\\S+).*", "$1");
    assertThat(Path.of(runDir)).doesNotExist();
  }

  @Test
  void slowStartTimesOutWithTheLogTail() {
    IllegalStateException e = catchThrowableOfType(IllegalStateException.class,
        () -> KubeApiServer.builder().startupTimeout(java.time.Duration.ofMillis(300)).start());

    assertThat(e.getMessage()).contains("not ready within").contains("last 40 lines of etcd.log");
  }

  private static V1UserInfo whoAmI(ApiClient client) throws ApiException {
    return new AuthenticationV1Api(client).createSelfSubjectReview(new V1SelfSubjectReview())
        .execute().getStatus().getUserInfo();
  }
}
