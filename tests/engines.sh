# shellcheck shell=bash
# The engines the test suites run on, in one place: a new engine (dbt) joins
# every suite by one edit of the default below. Sourced by the shell runners
# (tests/integration/*.sh); the Python tests read it through
# tests/integration/engines.py.
#
# ENGINES in the environment overrides the default (names separated by spaces,
# e.g. ENGINES=interp). An engine in the list that this host cannot run is
# skipped, with the reason `ringvisor engines` gives for it; nothing here decides
# from module names: what the host can do is what ringvisor's probe finds.
: "${ENGINES:=kvm interp dbt}"

# engines_output RINGVISOR: the output of `RINGVISOR engines`, or a line saying
# why there is none (and status 1).
engines_output() {
	local out

	if ! out=$("$1" engines 2>&1); then
		echo "'ringvisor engines' failed: $(head -n 1 <<<"$out")"
		return 1
	fi
	echo "$out"
}

# engine_problem RINGVISOR ENGINE: nothing if `ringvisor engines` says
# "ENGINE available", else why ENGINE cannot run here (its line there).
engine_problem() {
	local list word1 word2 line

	list=$(engines_output "$1") || {
		echo "$list"
		return
	}
	while read -r word1 word2 _; do
		if [[ $word1 == "$2" ]]; then
			[[ $word2 == available ]] && return
			line=$(grep -m 1 "^$2 " <<<"$list")
			echo "$line"
			return
		fi
	done <<<"$list"
	echo "'ringvisor engines' does not list $2"
}

# auto_line RINGVISOR: the last line of `ringvisor engines` without its
# "auto: ", e.g. "interp (passed over kvm: /dev/kvm: No such file or directory)".
auto_line() {
	local list

	list=$(engines_output "$1") || return 1
	sed -n 's/^auto: //p' <<<"$list" | tail -n 1
}

# hw_kvm_problem RINGVISOR: nothing if the kvm engine runs guest kernel code in
# hardware here (`ringvisor engines` says --engine auto would choose kvm), else
# why not. For cases that need guest kernel mode on the CPU itself: the nested
# PVM /dev/kvm emulates it, slowly and not completely.
hw_kvm_problem() {
	local auto why

	auto=$(auto_line "$1") || {
		echo "cannot tell whether kvm runs guest kernels in hardware: $(engines_output "$1")"
		return
	}
	[[ ${auto%% *} == kvm ]] && return
	why=$(sed -n 's/.*passed over \(.*\))$/\1/p' <<<"$auto" | tr ';' '\n' | sed -n 's/^ *kvm: //p')
	echo "needs guest kernel mode in hardware, and --engine auto passes over kvm: ${why:-it chooses ${auto%% *}}"
}
