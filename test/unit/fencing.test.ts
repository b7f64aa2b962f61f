// The fence agents' stdin (what Pacemaker would hand them) and how their results read.
import { describe, expect, it } from "vitest";
import { agentOptions, type FenceDevice } from "../../lib/fencing/agent";

const ipmi: FenceDevice = { agent: "fence_ipmilan", address: "10.77.0.111", username: "admin", password: "pw with 'quotes' and $x" };

describe("fence agent options", () => {
    it("gives fence_ipmilan no password: its ipmitool wrapper reads it from the environment", () => {
        const text = agentOptions(ipmi, "off", "/tmp/w/ipmitool");
        expect(text).toBe("action=off\nip=10.77.0.111\nusername=admin\nlanplus=1\nipmitool_path=/tmp/w/ipmitool\n");
        expect(text).not.toContain("pw with");
    });

    it("passes IPMI options only when set, and IPMI 1.5 only when asked", () => {
        expect(agentOptions({ ...ipmi, port: 6230, cipher: 3, privilegeLevel: "operator", lanplus: false }, "status")).toBe(
            "action=status\nip=10.77.0.111\nipport=6230\nusername=admin\nlanplus=0\ncipher=3\nprivlvl=operator\n",
        );
    });

    it("gives fence_redfish its password on stdin, and its systems URI", () => {
        const text = agentOptions({ agent: "fence_redfish", address: "bmc-3.example.org", username: "root", password: "pw", systemsUri: "/redfish/v1/Systems/1" }, "status");
        expect(text).toBe("action=status\nip=bmc-3.example.org\nusername=root\npassword=pw\nsystems_uri=/redfish/v1/Systems/1\n");
    });

    it("refuses a value that would add an option of its own", () => {
        expect(() => agentOptions({ ...ipmi, agent: "fence_redfish", password: "x\naction=on" }, "status")).toThrow(/password: a value must not contain a line break/);
    });
});
