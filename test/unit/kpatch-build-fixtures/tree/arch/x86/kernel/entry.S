	.text
	.globl entry_stub
entry_stub:
	ret
	.section .note.GNU-stack,"",@progbits
