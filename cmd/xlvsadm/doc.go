// Command xlvsadm administers xlvsd with ipvsadm's syntax, outputs, error
// texts and exit codes. Installed or symlinked as "ipvsadm" it answers as
// ipvsadm. It finds the daemon at $XLVS_SOCKET, else /run/xlvs/xlvs.sock.
package main
