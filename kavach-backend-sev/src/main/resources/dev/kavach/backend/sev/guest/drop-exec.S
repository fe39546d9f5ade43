# drop-exec: the guest agent's privilege drop, a static x86-64 Linux program with no libc.
#
# Usage (as root): drop-exec PROGRAM ARG0 ARGS...   with the task's environment and three fds
# opened by the (root) runner:
#   fd 4  the launch report, a root-only file: text records "exit N", "signal N", "exec ERRNO",
#         "error STEP ERRNO"; the task never holds it (close-on-exec)
#   fd 5  the task cgroup's cgroup.procs: the child writes "0" (itself) and closes it
#   fd 6  the runner's own /proc/PID/oom_score_adj: the parent (that pid) writes -1000 so the OOM
#         killer takes the task, never its launcher
# It forks. The child joins the cgroup, clears supplementary groups, sets gid and uid TASK_ID,
# empties the capability bounding and ambient sets, sets no_new_privs and a parent-death SIGKILL,
# checks the bounding set is empty and execs PROGRAM. The parent stays root, waits and records how
# the child ended. Nothing the task does can reach fd 4, so the record cannot be forged.
        .intel_syntax noprefix
        .set TASK_ID, 1000
        .set REPORT_FD, 4
        .set CGROUP_FD, 5
        .set OOM_FD, 6
        .set SYS_WRITE, 1
        .set SYS_CLOSE, 3
        .set SYS_FORK, 57
        .set SYS_EXECVE, 59
        .set SYS_WAIT4, 61
        .set SYS_FCNTL, 72
        .set SYS_SETRESUID, 117
        .set SYS_SETGROUPS, 116
        .set SYS_SETRESGID, 119
        .set SYS_PRCTL, 157
        .set SYS_EXIT_GROUP, 231
        .text
        .globl _start
_start:
        mov r13, rsp                    # [r13] = argc, [r13+8] = argv[0], ...
        lea rbx, [rip + w_usage]
        mov r14d, 11
        mov eax, -22                    # EINVAL when fewer than PROGRAM and ARG0 are given
        cmp qword ptr [r13], 3
        jb fail
        mov eax, SYS_FORK
        syscall
        lea rbx, [rip + w_fork]
        mov r14d, 10
        test rax, rax
        js fail
        jz child

parent:
        mov r12, rax                    # the child's pid
        mov edi, OOM_FD                 # this process keeps out of the OOM killer's choice
        lea rsi, [rip + s_minus1000]
        mov edx, 6
        mov eax, SYS_WRITE
        syscall
        mov edi, OOM_FD
        mov eax, SYS_CLOSE
        syscall
        mov edi, CGROUP_FD              # only the child joins the task's cgroup
        mov eax, SYS_CLOSE
        syscall
        sub rsp, 16
wait:
        mov rdi, r12
        mov rsi, rsp                    # &status
        xor edx, edx
        xor r10d, r10d
        mov eax, SYS_WAIT4
        syscall
        cmp rax, -4                     # EINTR
        je wait
        lea rbx, [rip + w_wait]
        mov r14d, 10
        test rax, rax
        js fail
        mov eax, dword ptr [rsp]
        mov ecx, eax
        and ecx, 0x7f                   # WTERMSIG
        jnz signaled
        shr eax, 8                      # WEXITSTATUS
        and eax, 0xff
        lea rsi, [rip + w_exit]
        mov edx, 4
        call record
        jmp done
signaled:
        mov eax, ecx
        lea rsi, [rip + w_signal]
        mov edx, 6
        call record
done:
        xor edi, edi
        mov eax, SYS_EXIT_GROUP
        syscall

child:
        mov edi, OOM_FD                 # the parent's oom_score_adj is not the task's business
        mov eax, SYS_CLOSE
        syscall
        mov edi, CGROUP_FD              # "0" moves the writing process into the cgroup
        lea rsi, [rip + s_zero]
        mov edx, 2
        mov eax, SYS_WRITE
        syscall
        lea rbx, [rip + w_cgroup]
        mov r14d, 12
        test rax, rax
        js fail
        mov edi, CGROUP_FD
        mov eax, SYS_CLOSE
        syscall
        xor edi, edi                    # setgroups(0, NULL)
        xor esi, esi
        mov eax, SYS_SETGROUPS
        syscall
        lea rbx, [rip + w_setgroups]
        mov r14d, 15
        test rax, rax
        js fail
        mov edi, TASK_ID                # setresgid(TASK_ID, TASK_ID, TASK_ID)
        mov esi, TASK_ID
        mov edx, TASK_ID
        mov eax, SYS_SETRESGID
        syscall
        lea rbx, [rip + w_setresgid]
        mov r14d, 15
        test rax, rax
        js fail
        xor r15d, r15d                  # PR_CAPBSET_DROP for every capability number 0..63;
capdrop:                                # numbers above the kernel's last one fail harmlessly
        mov edi, 24
        mov esi, r15d
        xor edx, edx
        xor r10d, r10d
        xor r8d, r8d
        mov eax, SYS_PRCTL
        syscall
        inc r15d
        cmp r15d, 64
        jb capdrop
        mov edi, 47                     # PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL
        mov esi, 4
        xor edx, edx
        xor r10d, r10d
        xor r8d, r8d
        mov eax, SYS_PRCTL
        syscall
        mov edi, TASK_ID                # setresuid: permitted and effective capabilities go with root
        mov esi, TASK_ID
        mov edx, TASK_ID
        mov eax, SYS_SETRESUID
        syscall
        lea rbx, [rip + w_setresuid]
        mov r14d, 15
        test rax, rax
        js fail
        mov edi, 38                     # PR_SET_NO_NEW_PRIVS
        mov esi, 1
        xor edx, edx
        xor r10d, r10d
        xor r8d, r8d
        mov eax, SYS_PRCTL
        syscall
        lea rbx, [rip + w_nnp]
        mov r14d, 9
        test rax, rax
        js fail
        mov edi, 1                      # PR_SET_PDEATHSIG SIGKILL (after the uid change, which clears it)
        mov esi, 9
        mov eax, SYS_PRCTL
        syscall
        xor r15d, r15d                  # PR_CAPBSET_READ: refuse to run the task if any is left
capcheck:
        mov edi, 23
        mov esi, r15d
        xor edx, edx
        xor r10d, r10d
        xor r8d, r8d
        mov eax, SYS_PRCTL
        syscall
        lea rbx, [rip + w_capbset]
        mov r14d, 13
        cmp rax, 1
        jne capnext
        mov eax, r15d                   # reported as "error capbset CAP"
        neg eax
        jmp fail
capnext:
        inc r15d
        cmp r15d, 64
        jb capcheck
        mov edi, REPORT_FD              # fcntl(REPORT_FD, F_SETFD, FD_CLOEXEC)
        mov esi, 2
        mov edx, 1
        mov eax, SYS_FCNTL
        syscall
        lea rbx, [rip + w_cloexec]
        mov r14d, 13
        test rax, rax
        js fail
        mov rdi, [r13 + 16]             # execve(argv[1], &argv[2], envp)
        lea rsi, [r13 + 24]
        mov rax, [r13]
        lea rdx, [r13 + rax * 8 + 16]
        mov eax, SYS_EXECVE
        syscall
        neg eax                         # errno
        mov r15d, eax
        lea rsi, [rip + w_exec]
        mov edx, 4
        call record
        mov edi, 126                    # as a shell reports it: 127 not found, 126 not executable
        cmp r15d, 2                     # ENOENT
        jne exit_child
        mov edi, 127
exit_child:
        mov eax, SYS_EXIT_GROUP
        syscall

fail:                                   # rbx, r14d: the step's word; rax: -errno
        neg eax
        mov rsi, rbx
        mov edx, r14d
        call record
        mov edi, 125
        mov eax, SYS_EXIT_GROUP
        syscall

# record: writes "WORD NUMBER\n" to REPORT_FD. rsi = word, edx = its length, eax = the number.
record:
        sub rsp, 72
        mov rdi, rsp
        mov ecx, edx
        rep movsb
        mov byte ptr [rdi], 32
        inc rdi
        lea r8, [rsp + 64]              # digits are made backwards from rsp+64
        mov r9, r8
        mov ecx, 10
digit:
        xor edx, edx
        div ecx
        add dl, 48
        dec r8
        mov byte ptr [r8], dl
        test eax, eax
        jnz digit
copy:
        mov al, byte ptr [r8]
        mov byte ptr [rdi], al
        inc rdi
        inc r8
        cmp r8, r9
        jb copy
        mov byte ptr [rdi], 10
        inc rdi
        mov rdx, rdi
        sub rdx, rsp
        mov rsi, rsp
        mov edi, REPORT_FD
        mov eax, SYS_WRITE
        syscall
        add rsp, 72
        ret

s_zero:         .ascii "0\n"
s_minus1000:    .ascii "-1000\n"
w_exit:         .ascii "exit"
w_signal:       .ascii "signal"
w_exec:         .ascii "exec"
w_usage:        .ascii "error usage"
w_fork:         .ascii "error fork"
w_wait:         .ascii "error wait"
w_cgroup:       .ascii "error cgroup"
w_setgroups:    .ascii "error setgroups"
w_setresgid:    .ascii "error setresgid"
w_setresuid:    .ascii "error setresuid"
w_nnp:          .ascii "error nnp"
w_capbset:      .ascii "error capbset"
w_cloexec:      .ascii "error cloexec"
