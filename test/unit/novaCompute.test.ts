import { describe, expect, it } from "vitest";
import { controllerSettingsText, parseIni } from "../../lib/hostscripts/novaCompute";

describe("the control plane's settings for computes", () => {
    it("are read from nova.conf syntax in order, comments skipped, DEFAULT before any header", () => {
        const text = "# generated\ntransport_url = rabbit://u:p@10.77.0.1:5672/\n[placement]\nauth_url = http://10.77.0.1:5000/v3\npassword = a=b\n\n; comment\n[vnc]\nenabled = false\n";
        expect(parseIni(text)).toEqual([
            ["DEFAULT", "transport_url", "rabbit://u:p@10.77.0.1:5672/"],
            ["placement", "auth_url", "http://10.77.0.1:5000/v3"],
            ["placement", "password", "a=b"],
            ["vnc", "enabled", "false"],
        ]);
    });

    it("travel as tab-separated lines, and refuse values that would break the format", () => {
        expect(controllerSettingsText([["DEFAULT", "a", "1"], ["x", "b", "two words"]])).toBe("DEFAULT\ta\t1\nx\tb\ttwo words");
        expect(() => controllerSettingsText([["DEFAULT", "a", "line\nbreak"]])).toThrow(/tabs and newlines are not allowed/);
    });
});
