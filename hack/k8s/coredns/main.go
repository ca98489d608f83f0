// CoreDNS for the real node of `hack/cluster up --pods`, with only the plugins its Corefile uses
// (hack/k8s/plane_dns.py): upstream's own main links all 60 plugins and their cloud SDKs (Azure, AWS,
// Google, Datadog, etcd, Nomad): 1,409 packages to compile instead of these 801, for nothing this cluster serves.
package main

import (
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/metrics"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

func main() {
	coremain.Run()
}
