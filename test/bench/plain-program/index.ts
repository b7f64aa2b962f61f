// The preview benchmark's peer: N servers as bare resources, the way a plain program would declare them.
import * as pulumi from "@pulumi/pulumi";
import { ServerInstance } from "../../../providers/serverInstance";

const n = Number(new pulumi.Config().require("count"));
for (let i = 0; i < n; i++) {
    new ServerInstance(`bench-plain-${i}`, {
        name: `bench-plain-${i}`,
        flavor: "m1.tiny",
        image: "cirros-like-raw",
        createOn: i % 2 ? "fake-1" : "fake-2",
        availabilityZone: "fake",
        timeoutSeconds: 600,
    });
}
